import Foundation
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Client connections are bounded in time at every stage (nginx's timeouts), and closed after
/// the response when the client did not ask to keep them.
@Suite("Client connections")
struct ConnectionTests {
    /// Larder with every connection timeout at `timeout`, unless set otherwise by `configure`.
    static func larder(_ timeout: Duration = .milliseconds(500), configure: (inout LarderConfiguration) throws -> Void = { _ in }) async throws -> TestLarder {
        try await TestLarder {
            $0.connections.header = timeout
            $0.connections.body = timeout
            $0.connections.keepAlive = timeout
            $0.mirrorAPI = true
            try configure(&$0)
        }
    }

    @Test("a connection that sends nothing is closed after the header timeout")
    func silentConnection() async throws {
        let larder = try await Self.larder()
        let connection = try RawConnection(port: larder.port)
        #expect(try await connection.closes(within: .seconds(20)))
        await larder.stop()
    }

    @Test("a request head sent a byte at a time is cut at the header timeout, counted from its first byte")
    func slowHead() async throws {
        let larder = try await Self.larder(.seconds(1))
        let connection = try RawConnection(port: larder.port)
        var sent = connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        var pieces = 0
        // A byte every 200 ms keeps any per-read timer alive; the head never completes.
        while sent && pieces < 100 {
            if try await connection.receive(timeout: .milliseconds(200), untilAnswer: false).closed { break }
            sent = connection.send("a")
            pieces += 1
        }
        #expect(pieces < 100, "the connection stayed open for \(pieces) slow bytes")
        await larder.stop()
    }

    @Test("an idle keep-alive connection is closed after keepalive_timeout; one in use is not")
    func keepAlive() async throws {
        // Long enough that a loaded machine does not idle it out between the three requests.
        let larder = try await Self.larder(.seconds(30)) { $0.connections.keepAlive = .seconds(3) }
        let connection = try RawConnection(port: larder.port)
        for _ in 0..<3 {
            #expect(connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            let answer = try await connection.receive(timeout: .seconds(20))
            #expect(String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(!answer.closed)
        }
        #expect(try await connection.closes(within: .seconds(20)))
        await larder.stop()
    }

    @Test("a request body that stops arriving is cut after client_body_timeout")
    func stalledBody() async throws {
        let larder = try await Self.larder(.seconds(30)) { $0.connections.body = .milliseconds(500) }
        let connection = try RawConnection(port: larder.port)
        #expect(connection.send("POST /api/mirror HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"purls\": "))
        #expect(try await connection.closes(within: .seconds(20)))
        await larder.stop()
    }

    @Test("HTTP/1.0 without keep-alive gets an HTTP/1.0 answer and a closed connection; with keep-alive, a kept one")
    func http10() async throws {
        let larder = try await Self.larder(.seconds(60))
        let plain = try RawConnection(port: larder.port)
        #expect(plain.send("GET /health HTTP/1.0\r\n\r\n"))
        let answer = try await plain.receive(timeout: .seconds(20), untilAnswer: false)
        #expect(answer.closed)
        let text = String(decoding: answer.data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.0 200"), "\(text)")
        #expect(text.lowercased().contains("connection: close"))

        let kept = try RawConnection(port: larder.port)
        for _ in 0..<2 {
            #expect(kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
            let answer = try await kept.receive(timeout: .seconds(20))
            #expect(String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.0 200"))
            #expect(!answer.closed)
        }
        // HTTP/1.1 with Connection: close is closed by Larder too.
        let closing = try RawConnection(port: larder.port)
        #expect(closing.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
        #expect(try await closing.receive(timeout: .seconds(20), untilAnswer: false).closed)
        await larder.stop()
    }

    @Test("a request asking to upgrade (Upgrade: h2c, as cargo and curl send over plain HTTP) is answered and its connection closed, so the client's next request goes to a new one instead of waiting forever")
    func upgradeRequestCloses() async throws {
        let larder = try await Self.larder(.seconds(60))
        let connection = try RawConnection(port: larder.port)
        let upgrade = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"
        #expect(connection.send(upgrade + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let answer = try await connection.receive(timeout: .seconds(20), untilAnswer: false)
        let text = String(decoding: answer.data, as: UTF8.self)
        #expect(answer.closed)
        #expect(text.hasPrefix("HTTP/1.1 200") && text.lowercased().contains("connection: close"), "\(text)")
        #expect(!text.lowercased().contains("101 switching"))
        // A new connection is served as usual.
        #expect(try await RawHTTP.send(port: larder.port, method: "GET", target: "/health").status == 200)
        await larder.stop()
    }

    @Test("a response that takes longer than every timeout is not cut")
    func longResponse() async throws {
        let upstream = try await FixtureRegistry()
        let data = Data(repeating: 7, count: 20_000)
        upstream.publishNpm(name: "slow", versions: [("1.0.0", PackageFile(filename: "slow-1.0.0.tgz", data: data), [:])])
        upstream.set("/slow/-/slow-1.0.0.tgz", body: ByteBuffer(bytes: data), fault: .trickle(pieces: 20, pause: .milliseconds(100)))
        let larder = try await Self.larder(.milliseconds(300)) { try $0.setUpstream("npm", upstream.url) }
        let connection = try RawConnection(port: larder.port)
        #expect(connection.send("GET /npm/slow/-/slow-1.0.0.tgz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let answer = try await connection.receive(timeout: .seconds(30))
        #expect(String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        #expect(answer.data.suffix(data.count) == data)
        await larder.stop()
        await upstream.stop()
    }
}
