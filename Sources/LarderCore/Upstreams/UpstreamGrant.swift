import Crypto

/// The restricted upstreams (those with `readers`) the requester being served may read, by
/// upstream identifier. The server sets it for each request from the token presented
/// (`UpstreamGrant.$current`); the engine reads it for every route it is given, asks only the
/// upstreams the requester may read, and keeps what a requester granted restricted upstreams
/// fetches apart from what others see (`Engine.scoped`). Without one, nothing restricted is
/// granted: the public view.
public struct UpstreamGrant: Sendable, Hashable {
    /// The identifiers (`Upstream.id`) of the restricted upstreams granted.
    public let upstreams: Set<String>
    /// A short name for the granted set, "" when it is empty: where the fast path files the
    /// answers it keeps for the requester.
    public let tag: String

    /// A grant of `upstreams`.
    public init(_ upstreams: Set<String> = []) {
        self.upstreams = upstreams
        self.tag = Self.tag(of: upstreams)
    }

    /// The grant of the request being served; nothing restricted unless the server says so.
    @TaskLocal public static var current = UpstreamGrant()

    /// A short stable name for a set of upstream identifiers ("" for none): 16 hex digits of the
    /// SHA-256 of the sorted identifiers.
    static func tag(of upstreams: Set<String>) -> String {
        guard !upstreams.isEmpty else { return "" }
        let digest = SHA256.hash(data: Array(upstreams.sorted().joined(separator: "\n").utf8))
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
