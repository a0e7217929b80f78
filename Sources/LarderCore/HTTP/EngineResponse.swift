import Foundation
public import NIOCore

/// The engine's answer to a request, independent of the HTTP server that sends it.
public struct EngineResponse: Sendable {
    /// The body to send.
    public enum Body: Sendable {
        case empty
        case buffer(ByteBuffer)
        case stream(ByteChunks)
    }

    /// HTTP status.
    public var status: Int
    /// Response headers.
    public var headers: [(String, String)]
    /// The body.
    public var body: Body
    /// Set when this answer (status 200, the whole of an immutable entry, held in memory) may be
    /// sent again for the same request target without asking the engine, as long as the entry
    /// stays current (`Engine.isCurrent`): what the server's cache-hit fast path keeps.
    public var reusable: ReusableHit?

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// An error answer: JSON `{"error": message}` with the error's status.
    public static func error(_ error: LarderError) -> EngineResponse {
        let json = "{\"error\":\(jsonString(error.message))}\n"
        return EngineResponse(
            status: error.status,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")] + error.headers,
            body: .buffer(ByteBuffer(string: json))
        )
    }

    /// The first value of header `name`.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// What a reusable answer was made from: the entry it is current with.
public struct ReusableHit: Sendable, Equatable {
    /// The entry's cache key.
    public var key: String
    /// The blob the answer holds.
    public var digest: String
    /// The ecosystem, for the counters.
    public var ecosystem: String
    /// The package policy's generation when the answer was allowed.
    public var policyGeneration: Int64

    /// Creates a reusable-hit description.
    public init(key: String, digest: String, ecosystem: String, policyGeneration: Int64 = 0) {
        self.key = key
        self.digest = digest
        self.ecosystem = ecosystem
        self.policyGeneration = policyGeneration
    }
}

/// `s` as a JSON string literal.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
