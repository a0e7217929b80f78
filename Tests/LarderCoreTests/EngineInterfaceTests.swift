import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Synchronization
import Testing

@Suite("Engine: headers, HEAD, ranges, hit checks, unstored misses, verifiers")
struct EngineInterfaceTests {
    @Test("headers a route keeps are stored with the entry and sent on every hit; route headers are added")
    func keptHeaders() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            registry.set("/m", .init(body: ByteBuffer(string: "manifest"), contentType: "application/vnd.test+json", headers: [("Docker-Content-Digest", "sha256:abc"), ("X-Other", "dropped")]))
            let harness = try EngineHarness()
            var route = harness.artifact([upstream(registry.url)], "/m")
            route.contentType = nil
            route.storedHeaders = ["docker-content-digest"]
            route.headers = [("Docker-Distribution-API-Version", "registry/2.0")]
            let miss = await harness.get(route)
            #expect(miss.header("Docker-Content-Digest") == "sha256:abc")
            #expect(miss.header("Content-Type") == "application/vnd.test+json")
            #expect(miss.header("X-Other") == nil)
            _ = try await collect(miss)
            harness.engine.entries.remove(route.key)  // read it back from the index
            let hit = await harness.get(route)
            #expect(hit.header("X-Larder-Cache") == "HIT")
            #expect(hit.header("docker-content-digest") == "sha256:abc")
            #expect(hit.header("Docker-Distribution-API-Version") == "registry/2.0")
            #expect(hit.header("Content-Type") == "application/vnd.test+json")
        }
    }

    @Test("HEAD on an artifact that is not cached asks upstream with HEAD and starts no download")
    func headMiss() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let data = payload(70_000)
            registry.set("/h.bin", body: ByteBuffer(bytes: data), contentType: "application/java-archive")
            let harness = try EngineHarness()
            let route = harness.artifact([upstream(registry.url)], "/h.bin", integrity: sha256Integrity(data))
            let head = await harness.get(route, method: .head)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "\(data.count)")
            #expect(head.header("X-Larder-Cache") == "MISS")
            #expect(try await collect(head).isEmpty)
            #expect(registry.requests(to: "/h.bin", method: "HEAD") == 1)
            #expect(registry.requests(to: "/h.bin", method: "GET") == 0)
            #expect(try await harness.engine.lookup(route.key) == nil)
            #expect(harness.engine.activeFills == 0)
            #expect(await harness.get(harness.artifact([upstream(registry.url)], "/absent.bin"), method: .head).status == 404)
        }
    }

    @Test("ranges on cached artifacts: 206 with Content-Range, suffixes, 416 when unsatisfiable, in memory and from disk", arguments: [false, true])
    func ranges(fromDisk: Bool) async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let data = payload(300_000)
            registry.set("/r.zip", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness { if fromDisk { $0.memoryObjectLimit = 1024 } }
            let route = harness.artifact([upstream(registry.url)], "/r.zip", integrity: sha256Integrity(data))
            _ = try await collect(await harness.get(route))

            let first = await harness.get(route, headers: ["range": "bytes=0-9"])
            #expect(first.status == 206)
            #expect(first.header("Content-Range") == "bytes 0-9/300000")
            #expect(first.header("Content-Length") == "10")
            #expect(try await collect(first) == data.prefix(10))
            let suffix = await harness.get(route, headers: ["range": "bytes=-22"])
            #expect(suffix.status == 206)
            #expect(suffix.header("Content-Range") == "bytes 299978-299999/300000")
            #expect(try await collect(suffix) == data.suffix(22))
            let open = await harness.get(route, headers: ["range": "bytes=299990-"])
            #expect(try await collect(open) == data.suffix(10))
            let beyond = await harness.get(route, headers: ["range": "bytes=300000-"])
            #expect(beyond.status == 416)
            #expect(beyond.header("Content-Range") == "bytes */300000")
            let several = await harness.get(route, headers: ["range": "bytes=0-1,5-6"])
            #expect(several.status == 200)
            #expect(try await collect(several) == data)
            let staleCopy = await harness.get(route, headers: ["range": "bytes=0-9", "if-range": "\"not-it\""])
            #expect(staleCopy.status == 200)
            let etag = try #require(first.header("ETag"))
            #expect(await harness.get(route, headers: ["range": "bytes=0-9", "if-range": etag]).status == 206)
            let head = await harness.get(route, headers: ["range": "bytes=5-14"], method: .head)
            #expect(head.status == 206 && head.header("Content-Length") == "10")
            #expect(try await collect(head).isEmpty)
        }
    }

    @Test("a hit check that says replace discards the cached copy and fetches anew; a slow one serves the cache")
    func hitCheck() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            registry.set("/v.jar", body: ByteBuffer(string: "version one"))
            let harness = try EngineHarness { $0.hitCheckTimeout = .milliseconds(200) }
            let decision = Locked(HitDecision.serve)
            let slow = Locked(false)
            var route = harness.artifact([upstream(registry.url)], "/v.jar")
            route.hitCheck = { _ in
                if slow.withLock({ $0 }) { try? await Task.sleep(for: .seconds(5)) }
                return decision.withLock { $0 }
            }
            #expect(try await collect(await harness.get(route)) == Data("version one".utf8))
            registry.set("/v.jar", body: ByteBuffer(string: "version two"))
            #expect(try await collect(await harness.get(route)) == Data("version one".utf8))

            decision.withLock { $0 = .replace }
            let replaced = await harness.get(route)
            #expect(replaced.header("X-Larder-Cache") == "MISS")
            #expect(try await collect(replaced) == Data("version two".utf8))
            #expect(registry.requests(to: "/v.jar") == 2)
            #expect(harness.storedBlobs().count == 1)  // the old blob is gone

            decision.withLock { $0 = .replace }
            slow.withLock { $0 = true }
            let started = ContinuousClock.now
            let timedOut = await harness.get(route)
            #expect(timedOut.header("X-Larder-Cache") == "HIT")
            #expect(ContinuousClock.now - started < .seconds(4))
            #expect(try await collect(timedOut) == Data("version two".utf8))
        }
    }

    @Test("hits that arrive while a hit check runs share it: twenty clients, one upstream question")
    func sharedHitCheck() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            registry.set("/s.jar", body: ByteBuffer(string: "shared"))
            let harness = try EngineHarness()
            let calls = Locked(0)
            let gate = FixtureGate()
            var route = harness.artifact([upstream(registry.url)], "/s.jar")
            route.hitCheck = { _ in
                calls.withLock { $0 += 1 }
                await gate.wait()
                return .serve
            }
            let shared = route
            _ = try await collect(await harness.get(shared))
            let started = Locked(0)
            try await withThrowingTaskGroup(of: Data.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        started.withLock { $0 += 1 }
                        return try await collect(await harness.get(shared))
                    }
                }
                // The check is running (the gate holds it); the others must arrive meanwhile.
                await gate.arrivals(1)
                while started.withLock({ $0 }) < 20 { await Task.yield() }
                try await Task.sleep(for: .milliseconds(100))  // lets the last ones reach the join
                gate.open()
                for try await body in group { #expect(body == Data("shared".utf8)) }
            }
            #expect(calls.withLock { $0 } == 1)
            #expect(registry.requests(to: "/s.jar") == 1)
        }
    }

    @Test("a miss that may not be stored is streamed and verified but not kept; a storing reader joining it keeps it")
    func unstoredMiss() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let data = payload(400_000)
            registry.set("/p.bin", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness()
            let route = harness.artifact([upstream(registry.url)], "/p.bin", integrity: sha256Integrity(data))
            let streamed = await harness.get(route, populate: false)
            #expect(try await collect(streamed) == data)
            #expect(try await harness.engine.lookup(route.key) == nil)
            #expect(harness.storedBlobs().isEmpty && harness.stagingFiles().isEmpty)

            let lying = harness.artifact([upstream(registry.url)], "/p.bin", integrity: sha256Integrity(payload(10)), key: "test/lying")
            await #expect(throws: LarderError.self) { _ = try await collect(await harness.get(lying, populate: false)) }

            let gate = FixtureGate()
            registry.set("/q.bin", body: ByteBuffer(bytes: data), fault: .pauseAfter(data.count / 2, gate))
            let joined = harness.artifact([upstream(registry.url)], "/q.bin", integrity: sha256Integrity(data))
            async let reader = collect(await harness.get(joined, populate: false))
            await gate.arrivals(1)  // the reader's download is running
            async let writer = collect(await harness.get(joined, populate: true))
            // Open the gate once the storing reader has joined the running download.
            while harness.engine.fills.withLock({ $0[joined.key]?.fill.commitRequested }) != true { await Task.yield() }
            gate.open()
            #expect(try await reader == data)
            #expect(try await writer == data)
            #expect(registry.requests(to: "/q.bin") == 1)
            #expect(try await harness.engine.lookup(joined.key) != nil)
        }
    }

    /// A verifier that asks for MD5 and SHA-1 and accepts or refuses.
    struct TestVerifier: ArtifactVerifier {
        let accept: Bool
        let began = Locked(false)
        var algorithms: Set<Integrity.Algorithm> { [.md5, .sha1] }
        func begin() { began.withLock { $0 = true } }
        func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
            guard accept, artifact.digests[.md5] != nil, artifact.digests[.sha1] != nil, began.withLock({ $0 }) else {
                throw LarderError(.integrityMismatch, "the test verifier refused \(artifact.url)")
            }
            return .verified("the test's say-so")
        }
    }

    @Test("verification is pluggable: a verifier gets the digests it asked for; its refusal stores nothing")
    func verifiers() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let file = PackageFile(filename: "v.bin", data: payload(5_000))
            registry.set("/v.bin", body: ByteBuffer(bytes: file.data))
            let harness = try EngineHarness()
            let source = upstream(registry.url)
            let refusing = Route(ecosystem: "generic", key: "test/refused", kind: .artifact) { [Source(request: source.request(path: "/v.bin"), verifier: TestVerifier(accept: false))] }
            await #expect(throws: LarderError.self) { _ = try await collect(await harness.get(refusing)) }
            #expect(harness.storedBlobs().isEmpty)

            let accepting = Route(ecosystem: "generic", key: "test/accepted", kind: .artifact) { [Source(request: source.request(path: "/v.bin"), verifier: TestVerifier(accept: true))] }
            #expect(try await collect(await harness.get(accepting)) == file.data)
            let entry = try #require(try await harness.index.entry(forKey: "test/accepted"))
            #expect(entry.checksums[.sha1] == file.sha1)
            #expect(entry.checksums[.md5]?.count == 32)
        }
    }

    @Test("errors carry their headers to the client")
    func errorHeaders() {
        let error = LarderError(.unauthorized, "sign in", headers: [("WWW-Authenticate", "Basic realm=\"larder\"")], code: "UNAUTHORIZED")
        let response = EngineResponse.error(error)
        #expect(response.status == 401)
        #expect(response.header("WWW-Authenticate") == "Basic realm=\"larder\"")
    }
}
