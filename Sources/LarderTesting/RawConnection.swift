public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A client connection on a plain socket that a test drives byte by byte: to hold a connection
/// idle, trickle a request head, or send two requests on one connection.
public final class RawConnection: Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        // Receives are bounded per call by `receive(timeout:)`, with poll.
        fd = try RawHTTP.connectLoopback(port: port, timeout: 10, receiveTimeout: false)
    }

    deinit { close(fd) }

    /// Sends `text`; false when the server has closed the connection.
    @discardableResult
    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// What arrives within `timeout`, up to the end of one answer when `untilAnswer` is set (a
    /// head and as many body bytes as its `Content-Length` says), or until the server closes.
    /// `until` ends the wait as soon as what has arrived satisfies it.
    public func receive(timeout: Duration, untilAnswer: Bool = true, until: (@Sendable (Data) -> Bool)? = nil) async throws -> (data: Data, closed: Bool) {
        let fd = fd
        return try await Blocking.run {
            let deadline = ContinuousClock.now + timeout
            var received = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while ContinuousClock.now < deadline {
                if untilAnswer, Self.complete(received) { return (received, false) }
                if let until, until(received) { return (received, false) }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let left = deadline - ContinuousClock.now
                let milliseconds = max(1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                guard poll(&poller, 1, milliseconds) > 0 else { continue }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return (received, true) }
                received.append(buffer, count: n)
            }
            return (received, false)
        }
    }

    /// Whether the server closes the connection within `timeout` (reading and dropping what
    /// it sends meanwhile).
    public func closes(within timeout: Duration) async throws -> Bool {
        try await receive(timeout: timeout, untilAnswer: false).closed
    }

    /// The body bytes of a chunked answer in `data`, as far as they have arrived.
    public static func chunkedBody(_ data: Data) -> Data {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { return Data() }
        return RawHTTP.dechunk(Data(data[split.upperBound...]))
    }

    /// Whether `data` holds a whole answer framed by `Content-Length`.
    static func complete(_ data: Data) -> Bool {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: data[..<split.lowerBound], as: UTF8.self).lowercased()
        guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return data.distance(from: split.upperBound, to: data.endIndex) >= length
    }
}
