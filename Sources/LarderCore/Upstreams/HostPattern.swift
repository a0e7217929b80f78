import Foundation

/// A host an upstream's metadata may point at: `files.example.org` (any port), `files.example.org:8443`
/// (that port only), or `*.example.org` (any subdomain, not the domain itself).
public struct HostPattern: Hashable, Sendable, CustomStringConvertible {
    private let host: String
    private let port: Int?
    private let wildcard: Bool

    /// Parses a pattern; nil when it is not a host name, an IP literal, or `*.` followed by one.
    public init?(_ text: String) {
        var rest = text.trimmingCharacters(in: .whitespaces).lowercased()
        wildcard = rest.hasPrefix("*.")
        if wildcard { rest.removeFirst(2) }
        var port: Int?
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]"), rest.filter({ $0 == ":" }).count == 1 {
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
            rest = String(rest[..<colon])
        } else if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"), close != rest.index(before: rest.endIndex) {
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) else { return nil }
            port = value
            rest = String(rest[...close])
        }
        let allowed = rest.hasPrefix("[") ? "0123456789abcdef:.[]" : "abcdefghijklmnopqrstuvwxyz0123456789.-_"
        guard !rest.isEmpty, rest.count <= 253, rest.allSatisfy({ allowed.contains($0) }), !rest.hasPrefix("."), !rest.hasSuffix(".") else { return nil }
        self.host = rest
        self.port = port
    }

    /// The pattern allowing exactly `origin`'s host and port.
    public init(exactly origin: URLOrigin) {
        host = origin.host
        port = origin.port
        wildcard = false
    }

    /// Whether a URL with `origin` may be fetched under this pattern.
    public func matches(_ origin: URLOrigin) -> Bool {
        if let port, port != origin.port { return false }
        return wildcard ? origin.host.hasSuffix("." + host) : origin.host == host
    }

    public var description: String { (wildcard ? "*." : "") + host + (port.map { ":\($0)" } ?? "") }
}
