/// A protocol's answer to an upstream's `401` challenge (`WWW-Authenticate`): OCI registries and
/// Docker Hub hand out bearer tokens from a separate endpoint. An adapter sets a handler on its
/// `Upstream`; the client runs it when a request is refused, caches the token it returns until
/// it expires, and retries once.
public protocol UpstreamChallengeHandler: Sendable {
    /// The key a token for `request` is cached under (an OCI repository's pull scope), or nil
    /// when tokens are not reused. With a key, a cached token is sent before any challenge.
    func tokenKey(for request: UpstreamRequest) -> String?

    /// Obtains a token for `challenge` (the 401's `WWW-Authenticate` challenges), using `client`
    /// for the handshake; nil when the challenge is not one the protocol answers.
    func respond(to challenge: [AuthChallenge], for request: UpstreamRequest, client: UpstreamClient) async throws(LarderError) -> UpstreamToken?
}

/// A token from a challenge handshake.
public struct UpstreamToken: Sendable {
    /// The `Authorization` header value (`Bearer …`).
    public var authorization: String
    /// How long it may be used; nil for one request only.
    public var lifetime: Duration?

    /// Creates a token.
    public init(authorization: String, lifetime: Duration?) {
        self.authorization = authorization
        self.lifetime = lifetime
    }
}
