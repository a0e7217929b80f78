import Foundation

/// An error Larder reports to a client: it carries the HTTP status to answer with, a message
/// that tells the user what went wrong and, where possible, how to fix it, and what a protocol
/// needs besides (a challenge header, an error code for its own error format).
public struct LarderError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure, which decides the HTTP status.
    public enum Kind: Sendable, Equatable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case methodNotAllowed
        /// The request conflicts with what is happening (a job already running).
        case conflict
        /// The request came from Larder itself: a configured URL points back at it.
        case loopDetected
        case notConfigured
        case upstreamUnreachable
        case upstreamTimeout
        case upstreamFailed
        case integrityMismatch
        /// Larder's own storage failed (a full disk, an index error): not upstream's fault.
        case storageFailed
        case shuttingDown
        /// A shared budget (memory for metadata) is in use; the client may try again shortly.
        case overloaded
        case payloadTooLarge
        case internalError
    }

    /// What went wrong.
    public let kind: Kind
    /// A message for the user, safe to send to clients (never carries credentials).
    public let message: String
    /// Headers the answer carries (`WWW-Authenticate` for a 401).
    public var headers: [(String, String)] = []
    /// A protocol's own error code, for adapters whose clients read one (OCI's `MANIFEST_UNKNOWN`).
    public var code: String?

    /// Creates an error of `kind` with `message`.
    public init(_ kind: Kind, _ message: String, headers: [(String, String)] = [], code: String? = nil) {
        self.kind = kind
        self.message = message
        self.headers = headers
        self.code = code
    }

    /// The HTTP status code a client receives for this error.
    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .loopDetected: 508
        case .payloadTooLarge: 413
        case .notConfigured, .shuttingDown, .storageFailed, .overloaded: 503
        case .upstreamUnreachable, .upstreamFailed, .integrityMismatch: 502
        case .upstreamTimeout: 504
        case .internalError: 500
        }
    }

    /// Whether the error means an upstream could not be asked (so another upstream, or a stale
    /// copy, may answer instead).
    public var isUnreachable: Bool { kind == .upstreamUnreachable || kind == .upstreamTimeout }

    public var description: String { "\(kind): \(message)" }

    public static func == (a: LarderError, b: LarderError) -> Bool {
        a.kind == b.kind && a.message == b.message && a.code == b.code && a.headers.map { "\($0.0):\($0.1)" } == b.headers.map { "\($0.0):\($0.1)" }
    }

    /// A 400 for a request Larder refuses to interpret.
    public static func badRequest(_ message: String) -> LarderError { LarderError(.badRequest, message) }
    /// What an operator can do when Larder runs out of file descriptors, for every message
    /// that says so.
    public static let descriptorAdvice = "raise ulimit -n or LimitNOFILE, or lower max_connections"

    /// A `storageFailed` error for a failed system call: `what` failed, why, and what an
    /// operator can do about the failures they can fix (descriptors, disk space).
    public static func storage(_ what: String, errno given: Int32? = nil) -> LarderError {
        let code = given ?? errno
        var message = "\(what): \(String(cString: strerror(code)))"
        switch code {
        case EMFILE, ENFILE: message += " (Larder is out of file descriptors: \(descriptorAdvice))"
        case ENOSPC, EDQUOT: message += " (the disk is full)"
        default: break
        }
        return LarderError(.storageFailed, message)
    }

    /// A 404.
    public static func notFound(_ message: String) -> LarderError { LarderError(.notFound, message) }
}
