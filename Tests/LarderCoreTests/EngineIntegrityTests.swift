import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Testing

/// Bytes at rest: what rotted or shrank on disk is never served as a hit.
@Suite("Engine: integrity at rest")
struct EngineIntegrityTests {
    /// Flips one byte of a stored blob in place.
    static func flipByte(_ path: String, at offset: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0xff
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func truncate(_ path: String, to size: Int) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(size).write(to: URL(fileURLWithPath: path))
    }

    /// A harness with an artifact stored; small ones are served from memory, large ones from disk.
    static func stored(large: Bool) async throws -> (FixtureRegistry, EngineHarness, Route, Data, String) {
        let upstream = try await FixtureRegistry()
        let data = payload(large ? 600_000 : 20_000)
        upstream.set("/a.bin", body: ByteBuffer(bytes: data))
        let harness = try EngineHarness { $0.memoryObjectLimit = 100_000 }
        let route = harness.artifact(upstream.url, "/a.bin", integrity: sha256Integrity(data))
        #expect(try await collect(await harness.get(route)) == data)
        let entry = try #require(try await harness.engine.lookup(route.key))
        // A fresh engine over the same store: nothing of the blob is in memory.
        let fresh = try EngineHarness(directory: harness.directory) { $0.memoryObjectLimit = 100_000 }
        return (upstream, fresh, route, data, harness.blobs.path(ofDigest: entry.digest))
    }

    func quarantined(_ harness: EngineHarness) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: harness.directory + "/quarantine")) ?? []
    }

    @Test("a flipped byte is never served: small blobs are checked when loaded, large ones as they stream; both are quarantined and fetched anew", arguments: [false, true])
    func bitRot(large: Bool) async throws {
        let (upstream, harness, route, data, path) = try await Self.stored(large: large)
        try await stopping(upstream) {
            try Self.flipByte(path, at: 1234)
            let first = await harness.get(route)
            if large {
                // The headers went out before the rot was found: the body is cut short, never complete.
                #expect(first.header("X-Larder-Cache") == "HIT")
                await #expect(throws: LarderError.self) { _ = try await collect(first) }
                #expect(try await collect(await harness.get(route)) == data)
            } else {
                #expect(first.header("X-Larder-Cache") == "MISS")
                #expect(try await collect(first) == data)
            }
            #expect(upstream.requests(to: "/a.bin") == 2)
            #expect(quarantined(harness).count == 1)
            #expect(harness.engine.stats.snapshot()["generic"]?.corruptBlobs == 1)
            #expect(try await collect(await harness.get(route)) == data)  // and the new copy is good
        }
    }

    @Test("a blob shorter than the index says is not served with the index's length: refetched, or an honest error with upstream down", arguments: [false, true])
    func truncated(large: Bool) async throws {
        let (upstream, harness, route, data, path) = try await Self.stored(large: large)
        try Self.truncate(path, to: data.count / 2)
        let refetched = await harness.get(route)
        #expect(refetched.header("X-Larder-Cache") == "MISS")
        #expect(try await collect(refetched) == data)
        #expect(quarantined(harness).count == 1)

        try Self.truncate(path, to: 10)
        await upstream.stop()
        let down = await harness.get(harness.artifact(upstream.url, "/a.bin", integrity: sha256Integrity(data)))
        #expect(down.status == 502)
    }

    @Test("the mirror's ensureArtifact repairs a damaged or vanished blob instead of calling it cached")
    func mirrorRepairs() async throws {
        let (upstream, harness, route, data, path) = try await Self.stored(large: false)
        try await stopping(upstream) {
            #expect(try await harness.engine.ensureArtifact(route).fetched == false)
            try Self.flipByte(path, at: 7)
            let repaired = try await harness.engine.ensureArtifact(route)
            #expect(repaired.fetched)
            try FileManager.default.removeItem(atPath: harness.blobs.path(ofDigest: repaired.entry.digest))
            #expect(try await harness.engine.ensureArtifact(route).fetched)
            #expect(try await collect(await harness.get(route)) == data)
        }
    }

    @Test("an audit re-hashes every blob: damaged ones quarantined, missing ones dropped, intact ones kept")
    func audit() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let harness = try EngineHarness()
            var routes: [Route] = []
            for i in 0..<5 {
                upstream.set("/f\(i)", body: ByteBuffer(bytes: payload(3_000, seed: UInt64(i + 1))))
                routes.append(harness.artifact(upstream.url, "/f\(i)", integrity: nil))
                _ = try await collect(await harness.get(routes[i]))
            }
            let damaged = try #require(try await harness.engine.lookup(routes[1].key))
            let missing = try #require(try await harness.engine.lookup(routes[3].key))
            try Self.flipByte(harness.blobs.path(ofDigest: damaged.digest), at: 0)
            try FileManager.default.removeItem(atPath: harness.blobs.path(ofDigest: missing.digest))
            let fresh = try EngineHarness(directory: harness.directory)
            let report = try await fresh.engine.audit()
            #expect(report.checked == 5)
            #expect(report.damaged == [routes[1].key])
            #expect(report.missing == [routes[3].key])
            #expect(try await fresh.index.entry(forKey: routes[1].key) == nil)
            #expect(try await fresh.index.entry(forKey: routes[3].key) == nil)
            #expect(try await fresh.index.entry(forKey: routes[0].key) != nil)
            #expect(quarantined(fresh).count == 1)
            #expect(try await fresh.engine.audit().isClean)
        }
    }

    @Test("a failing fsync fails the commit, as Larder's storage failing, not upstream's")
    func fsyncFailure() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[1]) }
        let file = PosixFile(testingDescriptor: fds[0], path: "a pipe")
        await #expect { try await file.sync() } throws: { ($0 as? LarderError)?.kind == .storageFailed }
    }

    @Test("a store that cannot take the blob is reported as a storage failure, naming the path")
    func storageFailure() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(5_000, seed: 42)
            upstream.set("/s.bin", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness()
            // Where the blob's directory must go, a file stands.
            let digest = sha256Integrity(data).hex
            try Data("in the way".utf8).write(to: URL(fileURLWithPath: harness.directory + "/blobs/sha256/" + digest.prefix(2)))
            await #expect { try await harness.engine.ensureArtifact(harness.artifact(upstream.url, "/s.bin", integrity: nil)) } throws: { error in
                guard let error = error as? LarderError else { return false }
                return error.kind == .storageFailed && error.status == 503 && error.message.contains(String(digest.prefix(2))) && !error.message.contains("upstream")
            }
        }
    }
}
