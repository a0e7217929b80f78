import Foundation
import LarderCore
@testable import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Repeated cache hits answered by `FastHitHandler` before Hummingbird's router.
@Suite("Repeated hits answered before the router")
struct FastHitTests {
    static let tarball = PackageFile(filename: "quick-1.0.0.tgz", data: Data((0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7) }))
    static let path = "/npm/quick/-/quick-1.0.0.tgz"

    static func served(_ larder: TestLarder) -> Int {
        larder.larder.fastHits?.servedCount.load(ordering: .relaxed) ?? -1
    }

    /// Requests the tarball until an answer comes from the fast path (the first answers are the
    /// miss, and hits through the router while the download commits); at most 20 times.
    static func warm(_ larder: TestLarder) async throws {
        for _ in 0..<20 where served(larder) == 0 {
            _ = try await RawHTTP.send(port: larder.port, target: path)
        }
        #expect(served(larder) == 1)
    }

    static func withoutDate(_ headers: [String: String]) -> [String: String] {
        headers.filter { $0.key != "date" }
    }

    @Test("a repeated hit gets the router's answer from the fast path; HEAD too, ranges and conditions still go to the router")
    func sameAnswer() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "quick", versions: [("1.0.0", Self.tarball, [:])])
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        try await larder.stopping(upstream) {
            let miss = try await RawHTTP.send(port: larder.port, target: Self.path)
            #expect(miss.headers["x-larder-cache"] == "MISS")
            // Wait for the download to be committed, then the first hit goes through the router.
            for _ in 0..<100 where try await larder.engine.lookup("npm/tarball/quick/quick-1.0.0.tgz") == nil {
                try await Task.sleep(for: .milliseconds(20))
            }
            let routed = try await RawHTTP.send(port: larder.port, target: Self.path)
            #expect(Self.served(larder) == 0)
            let fast = try await RawHTTP.send(port: larder.port, target: Self.path)
            #expect(Self.served(larder) == 1)
            #expect(fast.status == 200)
            #expect(fast.body == Self.tarball.data)
            #expect(Self.withoutDate(fast.headers) == Self.withoutDate(routed.headers))
            #expect(fast.headers["date"] != nil)

            let head = try await RawHTTP.send(port: larder.port, method: "HEAD", target: Self.path)
            #expect(Self.served(larder) == 2)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-length"] == "\(Self.tarball.data.count)")

            let range = try await RawHTTP.send(port: larder.port, target: Self.path, headers: [("Range", "bytes=0-9")])
            #expect(range.status == 206)
            #expect(range.body == Self.tarball.data.prefix(10))
            let conditional = try await RawHTTP.send(port: larder.port, target: Self.path, headers: [("If-None-Match", routed.headers["etag"] ?? "")])
            #expect(conditional.status == 304)
            let badHost = try await RawHTTP.send(port: larder.port, target: Self.path, headers: [("Host", "bad host")])
            #expect(badHost.status == 400)
            #expect(Self.served(larder) == 2)
            // Hits from the fast path are counted like the others.
            await larder.engine.flushStats()
            #expect(try await larder.engine.currentStats()["npm"]?.hits == 5)
            #expect(upstream.requests(to: "/quick/-/quick-1.0.0.tgz") == 1)
        }
    }

    @Test("answers leave in the order their requests came: a hit pipelined behind a slow request waits for it")
    func pipelinedOrder() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "quick", versions: [("1.0.0", Self.tarball, [:])])
        let gate = FixtureGate()
        upstream.set("/held", .init(body: ByteBuffer(string: #"{"name": "held", "versions": {}}"#), contentType: "application/json", fault: .gate(gate)))
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        try await larder.stopping(upstream) {
            try await Self.warm(larder)
            let connection = try RawConnection(port: larder.port)
            connection.send("GET /npm/held HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET \(Self.path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await gate.arrivals(1)
            let early = try await connection.receive(timeout: .milliseconds(300), untilAnswer: false)
            #expect(early.data.isEmpty, "an answer left before the one to the earlier request")
            gate.open()
            let both = try await connection.receive(timeout: .seconds(10), untilAnswer: false) { data in
                data.count >= Self.tarball.data.count
            }
            let text = String(decoding: both.data, as: UTF8.self)
            let document = try #require(text.range(of: #""name":"held""#) ?? text.range(of: #""name": "held""#))
            let second = try #require(text.range(of: "X-Larder-Cache: HIT"))
            #expect(document.lowerBound < second.lowerBound)
        }
    }

    @Test("an entry the engine drops (quarantined) is no longer answered from the fast path")
    func droppedEntry() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "quick", versions: [("1.0.0", Self.tarball, [:])])
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        try await larder.stopping(upstream) {
            try await Self.warm(larder)
            let entry = try #require(try await larder.engine.lookup("npm/tarball/quick/quick-1.0.0.tgz"))
            let blob = "\(larder.dataDirectory)/blobs/sha256/\(entry.digest.prefix(2))/\(entry.digest)"
            let handle = try #require(FileHandle(forUpdatingAtPath: blob))
            try handle.seek(toOffset: 100)
            try handle.write(contentsOf: Data("rot".utf8))
            try handle.close()
            #expect(try await larder.engine.isIntact(entry) == false)

            let again = try await RawHTTP.send(port: larder.port, target: Self.path)
            #expect(again.headers["x-larder-cache"] == "MISS")
            #expect(again.body == Self.tarball.data)
            #expect(Self.served(larder) == 1)
            #expect(upstream.requests(to: "/quick/-/quick-1.0.0.tgz") == 2)
        }
    }
}
