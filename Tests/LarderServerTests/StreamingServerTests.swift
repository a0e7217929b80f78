import Foundation
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// The engine's streaming promises as an HTTP client sees them.
@Suite("Streaming over HTTP")
struct StreamingServerTests {
    /// An npm registry whose `stream` tarball is promised as `promised` and sent as `served`:
    /// its first `pauseAfter` bytes at once, the rest when `gate` opens.
    static func upstream(promised: Data, served: Data, pauseAfter: Int, gate: FixtureGate) async throws -> FixtureRegistry {
        let registry = try await FixtureRegistry()
        registry.publishNpm(name: "stream", versions: [("1.0.0", PackageFile(filename: "stream-1.0.0.tgz", data: promised), [:])])
        registry.set("/stream/-/stream-1.0.0.tgz", body: ByteBuffer(bytes: served), fault: .pauseAfter(pauseAfter, gate))
        return registry
    }

    static let request = "GET /npm/stream/-/stream-1.0.0.tgz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    @Test("two clients of one running download both receive its first bytes before it completes, then all of it")
    func joinedClients() async throws {
        let data = Data((0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let half = 1 << 20
        let gate = FixtureGate()
        let registry = try await Self.upstream(promised: data, served: data, pauseAfter: half, gate: gate)
        let larder = try await TestLarder { try $0.setUpstream("npm", registry.url) }
        try await larder.stopping(registry) {
            let first = try RawConnection(port: larder.port)
            let second = try RawConnection(port: larder.port)
            #expect(first.send(Self.request))
            await gate.arrivals(1)
            #expect(second.send(Self.request))
            var received: [Data] = []
            for client in [first, second] {
                // Everything but the held-back byte of the first half, while upstream stalls.
                let early = try await client.receive(timeout: .seconds(30), untilAnswer: false) { RawConnection.chunkedBody($0).count >= half - 1 }
                #expect(RawConnection.chunkedBody(early.data).count == half - 1)
                #expect(String(decoding: early.data.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
                received.append(early.data)
            }
            #expect(gate.arrived == 1, "a second download was started")
            gate.open()
            for (index, client) in [first, second].enumerated() {
                let rest = try await client.receive(timeout: .seconds(30), untilAnswer: false) { $0.suffix(5) == Data("0\r\n\r\n".utf8) }
                #expect(RawConnection.chunkedBody(received[index] + rest.data) == data)
            }
            #expect(registry.requests(to: "/stream/-/stream-1.0.0.tgz") == 1)
            // Stored whole: the next client gets it from the cache with its length.
            let hit = try await RawHTTP.send(port: larder.port, target: "/npm/stream/-/stream-1.0.0.tgz")
            #expect(hit.body == data)
            #expect(hit.headers["x-larder-cache"] == "HIT")
        }
    }

    @Test("a lying upstream's bytes never reach a client whole: the last byte is withheld and the connection cut")
    func lyingUpstreamCut() async throws {
        let promised = Data(repeating: 1, count: 5000)
        let served = Data(repeating: 2, count: 5000)
        let gate = FixtureGate()
        let registry = try await Self.upstream(promised: promised, served: served, pauseAfter: served.count, gate: gate)
        let larder = try await TestLarder { try $0.setUpstream("npm", registry.url) }
        try await larder.stopping(registry) {
            let client = try RawConnection(port: larder.port)
            #expect(client.send(Self.request))
            let early = try await client.receive(timeout: .seconds(30), untilAnswer: false) { RawConnection.chunkedBody($0).count >= served.count - 1 }
            #expect(RawConnection.chunkedBody(early.data).count == served.count - 1, "the whole body reached the client before its digest was checked")
            gate.open()
            let end = try await client.receive(timeout: .seconds(30), untilAnswer: false)
            #expect(end.closed)
            let all = early.data + end.data
            #expect(RawConnection.chunkedBody(all).count == served.count - 1)
            #expect(all.suffix(5) != Data("0\r\n\r\n".utf8), "the chunked body was ended as if complete")
        }
    }
}
