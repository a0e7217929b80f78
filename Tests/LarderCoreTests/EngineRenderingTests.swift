import CompressNIO
import Foundation
import LarderCore
import LarderTesting
import NIOCore
import Testing

@Suite("Engine: stored renderings and artifact links")
struct EngineRenderingTests {
    /// A metadata route whose presenter upper-cases the document and counts its calls.
    static func counted(_ harness: EngineHarness, _ upstream: String, variant: String = "upper", calls: Locked<Int>) -> Route {
        Route(ecosystem: "generic", key: "test/rendered", kind: .metadata, presenter: MetadataPresenter(variant: variant) { doc in
            calls.withLock { $0 += 1 }
            return Presentation(body: ByteBuffer(string: String(buffer: doc.body).uppercased()), contentType: "text/x-upper")
        }) {
            [Source(request: UpstreamRequest(url: upstream + "/doc"))]
        }
    }

    static func renderings(_ harness: EngineHarness) async throws -> [CacheEntry] {
        try await harness.index.entries(withKeyPrefix: "test/rendered\u{1}render\u{1}", limit: 100)
    }

    @Test("a rendering is made once, stored, and served from the store after a restart")
    func storedOnce() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/doc", body: ByteBuffer(string: "hello"), contentType: "text/plain", etag: "\"1\"")
            let calls = Locked(0)
            let harness = try EngineHarness()
            let route = Self.counted(harness, upstream.url, calls: calls)
            async let concurrent = withTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { (try? String(decoding: await collect(await harness.get(route)), as: UTF8.self)) ?? "" } }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(await concurrent == Array(repeating: "HELLO", count: 20))
            #expect(calls.withLock { $0 } == 1)

            let restarted = try EngineHarness(directory: harness.directory)
            let again = await restarted.get(Self.counted(restarted, upstream.url, calls: calls))
            #expect(again.status == 200)
            #expect(again.header("X-Larder-Cache") == "HIT")
            #expect(again.header("Content-Type") == "text/x-upper")
            #expect(String(decoding: try await collect(again), as: UTF8.self) == "HELLO")
            #expect(calls.withLock { $0 } == 1)
            #expect(upstream.requests(to: "/doc") == 1)
            #expect(try await Self.renderings(restarted).count == 1)
        }
    }

    @Test("gzip is made once from the stored rendering and stored beside it")
    func gzipStored() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let text = String(repeating: "a line of metadata\n", count: 500)
            upstream.set("/doc", body: ByteBuffer(string: text), contentType: "text/plain", etag: "\"1\"")
            let calls = Locked(0)
            let harness = try EngineHarness()
            let route = Self.counted(harness, upstream.url, calls: calls)
            let zipped = await harness.get(route, headers: ["accept-encoding": "gzip"])
            #expect(zipped.header("Content-Encoding") == "gzip")
            var buffer = ByteBuffer(data: try await collect(zipped))
            #expect(buffer.readableBytes < text.utf8.count / 10)
            #expect(Int(zipped.header("Content-Length") ?? "") == buffer.readableBytes)
            #expect(String(buffer: try buffer.decompress(with: .gzip())) == text.uppercased())
            let plain = await harness.get(route)
            #expect(plain.header("Content-Encoding") == nil)
            #expect(String(decoding: try await collect(plain), as: UTF8.self) == text.uppercased())
            #expect(zipped.header("ETag") != plain.header("ETag"))
            let stored = try await Self.renderings(harness)
            #expect(stored.count == 2)
            #expect(stored.filter { $0.headers["content-encoding"] == "gzip" }.count == 1)
            #expect(calls.withLock { $0 } == 1)
        }
    }

    @Test("a changed document takes its old renderings with it")
    func replacedWithDocument() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/doc", body: ByteBuffer(string: String(repeating: "one ", count: 600)), contentType: "text/plain", etag: "\"1\"")
            let calls = Locked(0)
            let harness = try EngineHarness(ttl: .zero)
            let route = Self.counted(harness, upstream.url, calls: calls)
            _ = try await collect(await harness.get(route))
            _ = try await collect(await harness.get(route, headers: ["accept-encoding": "gzip"]))
            #expect(try await Self.renderings(harness).count == 2)
            let blobsBefore = harness.storedBlobs().count
            #expect(blobsBefore == 3)

            upstream.set("/doc", body: ByteBuffer(string: "two"), contentType: "text/plain", etag: "\"2\"")
            #expect(String(decoding: try await collect(await harness.get(route)), as: UTF8.self) == "TWO")
            let stored = try await Self.renderings(harness)
            #expect(stored.count == 1)
            #expect(harness.storedBlobs().count == 2)
            #expect(calls.withLock { $0 } == 2)
        }
    }

    @Test("renderings of one document are capped, so invented host names cannot fill the disk")
    func capped() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/doc", body: ByteBuffer(string: "x"), contentType: "text/plain", etag: "\"1\"")
            let calls = Locked(0)
            let harness = try EngineHarness()
            for host in 0..<40 {
                let response = await harness.get(Self.counted(harness, upstream.url, variant: "http://host\(host)", calls: calls))
                #expect(response.status == 200)
            }
            #expect(calls.withLock { $0 } == 40)
            #expect(try await Self.renderings(harness).count == 16)
        }
    }

    @Test("a large rendering streams from disk; one that rotted is cut, quarantined and made again")
    func largeAndRotten() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let text = String(repeating: "0123456789abcdef", count: 1 << 16)  // 1 MiB
            upstream.set("/doc", body: ByteBuffer(string: text), contentType: "text/plain", etag: "\"1\"")
            let calls = Locked(0)
            let harness = try EngineHarness { $0.memoryObjectLimit = 64 << 10 }
            let route = Self.counted(harness, upstream.url, calls: calls)
            let first = await harness.get(route)
            guard case .stream = first.body else {
                Issue.record("a rendering larger than memory_object_limit is streamed from disk")
                return
            }
            #expect(String(decoding: try await collect(first), as: UTF8.self) == text.uppercased())

            let rendering = try #require(try await Self.renderings(harness).first)
            let path = harness.blobs.path(ofDigest: rendering.digest)
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: 1000)
            try handle.write(contentsOf: Data("!".utf8))
            try handle.close()

            await #expect(throws: LarderError.self) { _ = try await collect(await harness.get(route)) }
            let healed = await harness.get(route)
            #expect(String(decoding: try await collect(healed), as: UTF8.self) == text.uppercased())
            #expect(calls.withLock { $0 } == 2)
            #expect(try await harness.engine.currentStats()["generic"]?.corruptBlobs == 1)
        }
    }

    /// A listing document ("name name …") whose links are the files it names, counted per read.
    static func listing(_ upstream: String, calls: Locked<Int>?, integrity: @escaping @Sendable (String) -> Integrity?) -> Route {
        var route = Route(ecosystem: "generic", key: "test/listing", kind: .metadata, contentType: "text/plain") {
            [Source(request: UpstreamRequest(url: upstream + "/listing"))]
        }
        if let calls {
            route.links = { document in
                calls.withLock { $0 += 1 }
                return String(buffer: document.body).split(separator: " ").map {
                    ArtifactLink(name: String($0), url: "\(upstream)/files/\($0)", integrity: integrity(String($0)))
                }
            }
        }
        return route
    }

    static func file(_ harness: EngineHarness, _ listing: Route, _ name: String) -> Route {
        Route(ecosystem: "generic", key: "test/files/\(name)", kind: .artifact) {
            guard let found = try await harness.engine.artifactLink(listing, named: name) else {
                throw LarderError.notFound("the listing has no \(name)")
            }
            return [Source(request: UpstreamRequest(url: found.link.url), integrity: found.link.integrity)]
        }
    }

    @Test("a document's artifact links are recorded when it is stored, and misses look them up instead of reading it")
    func recordedLinks() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let contents = ["a.tgz": payload(3000, seed: 1), "b.tgz": payload(3000, seed: 2), "c.tgz": payload(3000, seed: 3), "lie.tgz": payload(10, seed: 4)]
            for (name, data) in contents { upstream.set("/files/\(name)", body: ByteBuffer(data: data)) }
            upstream.set("/listing", body: ByteBuffer(string: "a.tgz b.tgz c.tgz lie.tgz"), contentType: "text/plain", etag: "\"1\"")
            let promised: @Sendable (String) -> Integrity? = { name in sha256Integrity(name == "lie.tgz" ? Data("else".utf8) : contents[name]!) }
            let calls = Locked(0)
            let harness = try EngineHarness()
            let listing = Self.listing(upstream.url, calls: calls, integrity: promised)
            for name in ["a.tgz", "b.tgz"] {
                let response = await harness.get(Self.file(harness, listing, name))
                #expect(try await collect(response) == contents[name])
            }
            #expect(await harness.get(Self.file(harness, listing, "zzz.tgz")).status == 404)
            // The promise recorded for the file is what its bytes are checked against: the lie is cut.
            await #expect(throws: LarderError.self) { _ = try await collect(await harness.get(Self.file(harness, listing, "lie.tgz"))) }
            #expect(calls.withLock { $0 } == 1)

            let restarted = try EngineHarness(directory: harness.directory)
            #expect(try await collect(await restarted.get(Self.file(restarted, listing, "c.tgz"))) == contents["c.tgz"])
            #expect(calls.withLock { $0 } == 1)
            #expect(upstream.requests(to: "/listing") == 1)
        }
    }

    @Test("links of a document stored before they could be recorded are read once, then looked up")
    func linksRecordedLate() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/files/a.tgz", body: ByteBuffer(string: "A"))
            upstream.set("/files/b.tgz", body: ByteBuffer(string: "B"))
            upstream.set("/listing", body: ByteBuffer(string: "a.tgz b.tgz"), contentType: "text/plain", etag: "\"1\"")
            let harness = try EngineHarness()
            try await harness.engine.ensureMetadata(Self.listing(upstream.url, calls: nil, integrity: { _ in nil }))
            let calls = Locked(0)
            let listing = Self.listing(upstream.url, calls: calls, integrity: { _ in nil })
            #expect(String(decoding: try await collect(await harness.get(Self.file(harness, listing, "a.tgz"))), as: UTF8.self) == "A")
            #expect(String(decoding: try await collect(await harness.get(Self.file(harness, listing, "b.tgz"))), as: UTF8.self) == "B")
            #expect(calls.withLock { $0 } == 1)
        }
    }
}
