import Foundation

/// Secret credentials for one upstream, sent as an `Authorization` header to that upstream's
/// origin only. They never appear in a description, a log line or an error message.
public struct UpstreamCredentials: Sendable, Equatable, CustomStringConvertible {
    /// The `Authorization` header value.
    let authorization: String
    /// What kind they are, for messages.
    public let kind: String

    /// HTTP basic credentials.
    public static func basic(username: String, password: String) -> UpstreamCredentials {
        UpstreamCredentials(authorization: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString(), kind: "basic")
    }

    /// A bearer token.
    public static func bearer(token: String) -> UpstreamCredentials {
        UpstreamCredentials(authorization: "Bearer \(token)", kind: "bearer")
    }

    public var description: String { "\(kind) credentials (redacted)" }
}
