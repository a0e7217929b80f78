/// One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): a scheme and its parameters,
/// as in `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`.
public struct AuthChallenge: Sendable, Equatable {
    /// The scheme, lower-case (`bearer`, `basic`).
    public var scheme: String
    /// Parameters by lower-case name, unquoted.
    public var parameters: [String: String]

    /// Creates a challenge.
    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }

    /// The challenges in a header value; malformed parts are skipped. At most 16 challenges and
    /// 32 parameters each are read, values up to 4 KiB.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        var scanner = Scanner(Array(header.utf8))
        while !scanner.atEnd, challenges.count < 16 {
            scanner.skip { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\t") }
            let scheme = scanner.token()
            guard !scheme.isEmpty else { break }
            var challenge = AuthChallenge(scheme: scheme)
            while !scanner.atEnd, challenge.parameters.count < 32 {
                let mark = scanner.position
                scanner.skip { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\t") }
                let name = scanner.token()
                scanner.skip { $0 == UInt8(ascii: " ") }
                guard !name.isEmpty, scanner.consume(UInt8(ascii: "=")) else {
                    scanner.position = mark  // the next challenge's scheme (or token68, not used here)
                    break
                }
                scanner.skip { $0 == UInt8(ascii: " ") }
                guard let value = scanner.value(limit: 4096) else { return challenges + [challenge] }
                challenge.parameters[name.lowercased()] = value
            }
            challenges.append(challenge)
        }
        return challenges
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { position >= bytes.count }

        mutating func skip(_ test: (UInt8) -> Bool) {
            while position < bytes.count, test(bytes[position]) { position += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// An RFC 9110 token.
        mutating func token() -> String {
            let start = position
            let extra = Set("!#$%&'*+-.^_`|~".utf8)
            skip { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) || extra.contains($0) }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A token or a quoted string with backslash escapes.
        mutating func value(limit: Int) -> String? {
            guard consume(UInt8(ascii: "\"")) else { return token() }
            var out: [UInt8] = []
            while position < bytes.count, out.count <= limit {
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if byte == UInt8(ascii: "\\"), position < bytes.count {
                    out.append(bytes[position])
                    position += 1
                } else {
                    out.append(byte)
                }
            }
            return nil
        }
    }
}
