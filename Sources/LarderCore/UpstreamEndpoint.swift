import Foundation

/// A configured upstream base URL. Credentials written into the URL (`https://user:pass@host/`)
/// are split off: they are sent as an `Authorization` header to that host only, and never appear
/// in logs, error messages or anything a client receives.
public struct UpstreamEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The base URL without credentials and without a trailing slash.
    public let baseURL: String
    /// The `Authorization` header value, if the URL carried credentials.
    let authorization: String?
    /// The host (and port) credentials may be sent to.
    let authority: String

    /// Parses a configured URL; throws a message naming `setting` when it is not an http(s) URL.
    public init(_ string: String, setting: String) throws(LarderError) {
        guard var components = URLComponents(string: string.trimmingCharacters(in: .whitespaces)),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw LarderError(.notConfigured, "\(setting) must be an http:// or https:// URL, got '\(UpstreamEndpoint.redact(string))'")
        }
        if let user = components.percentEncodedUser {
            let password = components.percentEncodedPassword ?? ""
            let raw = "\(user.removingPercentEncoding ?? user):\(password.removingPercentEncoding ?? password)"
            authorization = "Basic " + Data(raw.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        components.user = nil
        components.password = nil
        var base = components.string ?? string
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        authority = UpstreamEndpoint.authority(of: base) ?? host
    }

    /// A request for `path` below the base URL (`path` starts with `/`, or is empty).
    public func request(path: String, headers: [(String, String)] = []) -> UpstreamRequest {
        request(url: baseURL + path, headers: headers)
    }

    /// A request for an absolute URL; credentials are attached only if it is on this endpoint's host.
    public func request(url: String, headers: [(String, String)] = []) -> UpstreamRequest {
        var all = headers
        if let authorization, UpstreamEndpoint.authority(of: url) == authority {
            all.append(("Authorization", authorization))
        }
        return UpstreamRequest(url: url, headers: all)
    }

    public var description: String { baseURL }

    static func authority(of url: String) -> String? {
        guard let c = URLComponents(string: url), let host = c.host?.lowercased() else { return nil }
        return c.port.map { "\(host):\($0)" } ?? host
    }

    /// `url` with any user-info replaced by `***`.
    public static func redact(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at,
            !url[scheme.upperBound..<at].contains("/")
        else { return url }
        return url[..<scheme.upperBound] + "***@" + url[url.index(after: at)...]
    }
}
