import Foundation

/// The scheme, host and port of a URL (its web origin): the unit credentials are bound to. Two
/// URLs share an origin only if all three match, with default ports filled in, so credentials
/// given for `https://repo.example` never travel to `http://repo.example` or another port.
public struct URLOrigin: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`, lower-case.
    public let scheme: String
    /// The host, lower-case (IPv6 literals keep their brackets).
    public let host: String
    /// The port, with the scheme's default filled in.
    public let port: Int

    /// The origin of `url`; nil unless it is an absolute http(s) URL with a host and a valid port.
    public init?(url: String) {
        guard let components = URLComponents(string: url) else { return nil }
        self.init(components)
    }

    init?(_ components: URLComponents) {
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Whether the port is the scheme's default.
    var hasDefaultPort: Bool { port == (scheme == "https" ? 443 : 80) }

    /// `host` or `host:port` when the port is not the default.
    public var authority: String { hasDefaultPort ? host : "\(host):\(port)" }

    public var description: String { "\(scheme)://\(authority)" }
}
