import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Testing

@Suite("Engine: artifacts")
struct EngineArtifactTests {
    @Test("50 concurrent cold requests cause one upstream download and 50 identical, complete bodies")
    func singleFlight() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(3 << 20)
            // Trickle the body so that every request arrives while the download is running.
            upstream.set("/big.bin", body: ByteBuffer(bytes: data), fault: .trickle(pieces: 30, pause: .milliseconds(20)))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/big.bin", integrity: sha256Integrity(data))

            let bodies = try await withThrowingTaskGroup(of: Data.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = await harness.get(route)
                        #expect(response.status == 200)
                        return try await collect(response)
                    }
                }
                return try await group.reduce(into: [Data]()) { $0.append($1) }
            }
            #expect(upstream.requests(to: "/big.bin") == 1)
            #expect(bodies.count == 50)
            #expect(bodies.allSatisfy { $0 == data })
            #expect(harness.stagingFiles().isEmpty)

            // Committed: the next request is a hit from the store.
            let again = await harness.get(route)
            #expect(again.header("X-Larder-Cache") == "HIT")
            #expect(try await collect(again) == data)
            #expect(upstream.requests(to: "/big.bin") == 1)
        }
    }

    @Test("bytes that do not match the promised digest are never stored and the client gets an error")
    func digestMismatch() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let promised = payload(200_000, seed: 1)
            let served = payload(200_000, seed: 2)
            upstream.set("/lie.bin", body: ByteBuffer(bytes: served))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/lie.bin", integrity: sha256Integrity(promised))

            let response = await harness.get(route)
            #expect(response.status == 200)  // headers go out before the digest is known
            await #expect(throws: LarderError.self) { _ = try await collect(response) }
            #expect(try await harness.engine.lookup(route.key) == nil)
            #expect(harness.storedBlobs().isEmpty)
            #expect(harness.stagingFiles().isEmpty)

            // A second request tries upstream again, and fails again before sending anything whole.
            let second = await harness.get(route)
            await #expect(throws: LarderError.self) { _ = try await collect(second) }
            #expect(upstream.requests(to: "/lie.bin") == 2)
        }
    }

    @Test("an SRI sha512 promise is checked, and a matching one is stored")
    func sha512Promise() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let file = PackageFile(filename: "x.tgz", data: payload(50_000))
            upstream.set("/x.tgz", body: ByteBuffer(bytes: file.data))
            let harness = try EngineHarness()
            let good = harness.artifact(upstream.url, "/x.tgz", integrity: Integrity(sri: file.sri512))
            #expect(try await collect(await harness.get(good)) == file.data)

            let wrong = Route(ecosystem: "generic", key: "test/other", kind: .artifact) {
                [Source(request: UpstreamRequest(url: upstream.url + "/x.tgz"), integrity: Integrity(sri: PackageFile(filename: "", data: Data("other".utf8)).sri512))]
            }
            await #expect(throws: LarderError.self) { _ = try await collect(await harness.get(wrong)) }
        }
    }

    @Test("an upstream that cuts the connection mid-artifact leaves nothing stored and the client an error")
    func cutConnection() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(1 << 20)
            upstream.set("/cut.bin", body: ByteBuffer(bytes: data), fault: .cutAfter(300_000))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/cut.bin", integrity: sha256Integrity(data))

            let response = await harness.get(route)
            var received = 0
            await #expect(throws: (any Error).self) {
                if case .stream(let chunks) = response.body {
                    for try await chunk in chunks { received += chunk.readableBytes }
                }
            }
            #expect(received < data.count)
            #expect(try await harness.engine.lookup(route.key) == nil)
            #expect(harness.storedBlobs().isEmpty)
            #expect(harness.stagingFiles().isEmpty)

            // Once upstream behaves, the artifact is fetched and served whole.
            upstream.set("/cut.bin", body: ByteBuffer(bytes: data))
            #expect(try await collect(await harness.get(route)) == data)
        }
    }

    @Test("committed artifacts never expire: served with upstream gone long after the metadata TTL")
    func artifactsNeverExpire() async throws {
        let upstream = try await FixtureRegistry()
        let data = payload(10_000)
        upstream.set("/a.bin", body: ByteBuffer(bytes: data))
        let harness = try EngineHarness(ttl: .seconds(0))
        let route = harness.artifact(upstream.url, "/a.bin", integrity: sha256Integrity(data))
        #expect(try await collect(await harness.get(route)) == data)
        await upstream.stop()
        let response = await harness.get(route)
        #expect(response.status == 200)
        #expect(response.header("Cache-Control")?.contains("immutable") == true)
        #expect(try await collect(response) == data)
    }

    @Test("artifact answers: HEAD, ETag, If-None-Match and If-Modified-Since give 304")
    func conditionalAndHead() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(5_000)
            upstream.set("/c.bin", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/c.bin", integrity: sha256Integrity(data))
            let first = await harness.get(route)
            _ = try await collect(first)

            let head = await harness.get(route, method: .head)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "\(data.count)")
            #expect(try await collect(head).isEmpty)

            let hit = await harness.get(route)
            let etag = try #require(hit.header("ETag"))
            let lastModified = try #require(hit.header("Last-Modified"))
            #expect(await harness.get(route, headers: ["if-none-match": etag]).status == 304)
            #expect(await harness.get(route, headers: ["if-none-match": "\"other\", \(etag)"]).status == 304)
            #expect(await harness.get(route, headers: ["if-none-match": "\"other\""]).status == 200)
            #expect(await harness.get(route, headers: ["if-modified-since": lastModified]).status == 304)
            #expect(await harness.get(route, headers: ["if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT"]).status == 200)
        }
    }

    @Test("upstream 404 is 404; unreachable is 502 naming the upstream; silence is 504")
    func honestErrors() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let harness = try EngineHarness(readTimeout: .seconds(1))
            let missing = await harness.get(harness.artifact(upstream.url, "/missing.bin", integrity: nil))
            #expect(missing.status == 404)

            let dead = try await FixtureRegistry()
            let deadURL = dead.url
            await dead.stop()
            let unreachable = await harness.get(harness.artifact(deadURL, "/x.bin", integrity: nil))
            #expect(unreachable.status == 502)
            #expect(String(decoding: try await collect(unreachable), as: UTF8.self).contains(deadURL))

            upstream.set("/slow.bin", body: ByteBuffer(string: "late"), fault: .delay(.seconds(3)))
            let slow = await harness.get(harness.artifact(upstream.url, "/slow.bin", integrity: nil))
            #expect(slow.status == 504)
        }
    }

    @Test("staging files left by a crashed process are removed when the engine starts; a live process's are kept")
    func crashLeftovers() async throws {
        let directory = TestLarder.temporaryDirectory("engine")
        _ = try EngineHarness(directory: directory)
        // One left by a crashed (no longer running) process, one of an old naming, and one of a
        // live process sharing the data directory, which must survive.
        let crashed = directory + "/tmp/fill-999999999-abc.part"
        let old = directory + "/tmp/fill-crashed.part"
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate() }
        let live = directory + "/tmp/fill-\(sleeper.processIdentifier)-def.part"
        for path in [crashed, old, live] { try Data("partial".utf8).write(to: URL(fileURLWithPath: path)) }
        let harness = try EngineHarness(directory: directory)
        #expect(harness.stagingFiles() == ["fill-\(sleeper.processIdentifier)-def.part"])
    }

    @Test("shutdown writes the counters even when the task asking for it is cancelled (a second signal)")
    func shutdownWhenCancelled() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/n.bin", body: ByteBuffer(string: "counted"))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/n.bin", integrity: nil)
            _ = try await collect(await harness.get(route))
            _ = try await collect(await harness.get(route))
            let stopping = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                await harness.engine.shutdown()
            }
            await stopping.value
            let persisted = try await harness.index.stats()["generic"]
            #expect(persisted?.hits == 1 && persisted?.misses == 1)
        }
    }

    @Test("shutdown cancels running downloads cleanly and leaves no staging files")
    func shutdownCancelsFills() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(1 << 20)
            upstream.set("/slow.bin", body: ByteBuffer(bytes: data), fault: .trickle(pieces: 100, pause: .milliseconds(100)))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/slow.bin", integrity: sha256Integrity(data))
            let response = await harness.get(route)
            #expect(response.status == 200)
            #expect(harness.engine.activeFills == 1)
            await harness.engine.shutdown()
            #expect(harness.engine.activeFills == 0)
            await #expect(throws: (any Error).self) { _ = try await collect(response) }
            #expect(harness.stagingFiles().isEmpty)
            #expect(try await harness.engine.lookup(route.key) == nil)
        }
    }

    @Test("two engines sharing one store (as larder serve and larder mirror do) download a key once")
    func sharedStoreSingleFlight() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(1 << 20)
            upstream.set("/shared.bin", body: ByteBuffer(bytes: data), fault: .trickle(pieces: 20, pause: .milliseconds(20)))
            let first = try EngineHarness()
            let second = try EngineHarness(directory: first.directory)
            let route = first.artifact(upstream.url, "/shared.bin", integrity: sha256Integrity(data))
            async let a = collect(await first.get(route))
            async let b = collect(await second.get(route))
            let (bodyA, bodyB) = try await (a, b)
            #expect(bodyA == data)
            #expect(bodyB == data)
            #expect(upstream.requests(to: "/shared.bin") == 1)
            #expect(first.storedBlobs().count == 1)
            // The mirror's view: already stored, nothing fetched.
            let third = try EngineHarness(directory: first.directory)
            #expect(try await third.engine.ensureArtifact(route).fetched == false)
            // Lock files live only while their key is being filled.
            #expect(try FileManager.default.contentsOfDirectory(atPath: first.directory + "/locks").isEmpty)
        }
    }

    @Test("a fill lock is held by one taker at a time, and its file is gone once released")
    func fillLockFiles() async throws {
        let harness = try EngineHarness()
        let held = try await harness.blobs.lockFill(key: "k")
        let acquired = Locked(false)
        let contender = Task {
            let lock = try await harness.blobs.lockFill(key: "k")
            acquired.withLock { $0 = true }
            return lock
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(acquired.withLock { $0 } == false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.directory + "/locks").count == 1)
        held.release()
        let second = try await contender.value
        second.release()
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.directory + "/locks").isEmpty)
    }

    @Test("a blob deleted from under its entry is fetched again, not answered with an error", arguments: [1000, 3 << 20])
    func vanishedBlob(size: Int) async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(size)
            upstream.set("/v.bin", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness { $0.memoryObjectLimit = 64 << 10 }
            let route = harness.artifact(upstream.url, "/v.bin", integrity: sha256Integrity(data))
            _ = try await collect(await harness.get(route))
            let entry = try #require(try await harness.engine.lookup(route.key))
            try FileManager.default.removeItem(atPath: harness.blobs.path(ofDigest: entry.digest))
            harness.engine.hot.remove(entry.digest)
            let again = await harness.get(route)
            #expect(again.status == 200)
            #expect(try await collect(again) == data)
            #expect(upstream.requests(to: "/v.bin") == 2)
        }
    }

    @Test("large artifacts stream from disk in chunks; small ones are served from memory")
    func largeAndSmallHits() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let big = payload(3 << 20, seed: 7)
            let small = payload(1000, seed: 8)
            upstream.set("/big", body: ByteBuffer(bytes: big))
            upstream.set("/small", body: ByteBuffer(bytes: small))
            let harness = try EngineHarness { $0.memoryObjectLimit = 64 << 10 }
            let bigRoute = harness.artifact(upstream.url, "/big", integrity: sha256Integrity(big))
            let smallRoute = harness.artifact(upstream.url, "/small", integrity: sha256Integrity(small))
            _ = try await collect(await harness.get(bigRoute))
            _ = try await collect(await harness.get(smallRoute))
            let bigHit = await harness.get(bigRoute)
            guard case .stream = bigHit.body else { Issue.record("a large hit should stream"); return }
            #expect(try await collect(bigHit) == big)
            let smallHit = await harness.get(smallRoute)
            guard case .buffer = smallHit.body else { Issue.record("a small hit should come from memory"); return }
            #expect(try await collect(smallHit) == small)
        }
    }
}
