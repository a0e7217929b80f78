public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 exchange over a plain socket, sending exactly the request line and headers a test
/// gives (HTTP clients would normalise away the path tricks under test).
public enum RawHTTP {
    /// A parsed answer.
    public struct Answer: Sendable {
        /// The status code.
        public var status: Int
        /// Headers, lower-cased names.
        public var headers: [String: String]
        /// The body bytes.
        public var body: Data
        /// The body as text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `method target` with `headers` (Host defaults to 127.0.0.1:port) and reads the
    /// answer until the server closes the connection.
    /// `contentLength: false` sends the body without a `Content-Length` header (for a body the
    /// headers frame otherwise, such as a chunked one).
    /// `timeout` bounds each wait for the server, in seconds.
    public static func send(port: Int, method: String = "GET", target: String, headers: [(String, String)] = [], body: Data = Data(), contentLength: Bool = true, timeout: Int = 30) async throws -> Answer {
        try await Blocking.run { try exchange(port: port, method: method, target: target, headers: headers, body: body, contentLength: contentLength, timeout: timeout) }
    }

    static func exchange(port: Int, method: String, target: String, headers: [(String, String)], body: Data, contentLength: Bool, timeout seconds: Int) throws -> Answer {
        let fd = try connectLoopback(port: port, timeout: seconds, receiveTimeout: true)
        defer { close(fd) }
        var request = "\(method) \(target) HTTP/1.1\r\n"
        var all = headers
        if !all.contains(where: { $0.0.lowercased() == "host" }) { all.insert(("Host", "127.0.0.1:\(port)"), at: 0) }
        all.append(("Connection", "close"))
        if !body.isEmpty && contentLength && !all.contains(where: { $0.0.lowercased() == "content-length" }) { all.append(("Content-Length", "\(body.count)")) }
        for (name, value) in all { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Data(request.utf8) + body
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(buffer, count: n)
        }
        guard let split = received.range(of: Data("\r\n\r\n".utf8)) else { throw ShellError(message: "no HTTP answer: \(String(decoding: received, as: UTF8.self))") }
        let head = String(decoding: received[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var parsed: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var payload = Data(received[split.upperBound...])
        if parsed["transfer-encoding"]?.lowercased() == "chunked" { payload = dechunk(payload) }
        return Answer(status: status, headers: parsed, body: payload)
    }

    /// A socket connected to 127.0.0.1:`port`. `timeout` seconds bound the connect (a full
    /// backlog drops the handshake) and each send, and each receive too with `receiveTimeout`.
    static func connectLoopback(port: Int, timeout seconds: Int, receiveTimeout: Bool) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ShellError(message: "socket failed") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        if receiveTimeout { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ShellError(message: "connect to port \(port) failed")
        }
        return fd
    }

    /// The payload of a chunked body, as far as its chunks have arrived whole.
    public static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size else { break }
            out.append(rest[start..<rest.index(start, offsetBy: size)])
            rest = rest[rest.index(start, offsetBy: size + 2)...]
        }
        return out
    }
}
