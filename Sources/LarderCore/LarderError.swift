/// An error Larder reports to a client: it carries the HTTP status to answer with and a
/// message that tells the user what went wrong and, where possible, how to fix it.
public struct LarderError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure, which decides the HTTP status.
    public enum Kind: Sendable, Equatable {
        case badRequest
        case notFound
        case methodNotAllowed
        case notConfigured
        case upstreamUnreachable
        case upstreamTimeout
        case upstreamFailed
        case integrityMismatch
        case shuttingDown
        case payloadTooLarge
        case internalError
    }

    /// What went wrong.
    public let kind: Kind
    /// A message for the user, safe to send to clients (never carries credentials).
    public let message: String

    /// Creates an error of `kind` with `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The HTTP status code a client receives for this error.
    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .notFound: 404
        case .methodNotAllowed: 405
        case .payloadTooLarge: 413
        case .notConfigured, .shuttingDown: 503
        case .upstreamUnreachable, .upstreamFailed, .integrityMismatch: 502
        case .upstreamTimeout: 504
        case .internalError: 500
        }
    }

    public var description: String { "\(kind): \(message)" }

    /// A 400 for a request Larder refuses to interpret.
    public static func badRequest(_ message: String) -> LarderError { LarderError(.badRequest, message) }
    /// A 404.
    public static func notFound(_ message: String) -> LarderError { LarderError(.notFound, message) }
}
