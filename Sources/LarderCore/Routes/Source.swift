/// One place a cache entry may come from: the upstream request, and how its bytes are verified.
public struct Source: Sendable {
    /// The upstream request to make.
    public var request: UpstreamRequest
    /// Checks an artifact's bytes before they are committed; nil stores them unverified (logged).
    public var verifier: (any ArtifactVerifier)?

    /// A source checked against `integrity`, the digest the registry promised.
    public init(request: UpstreamRequest, integrity: Integrity? = nil) {
        self.request = request
        self.verifier = integrity
    }

    /// A source checked by `verifier`.
    public init(request: UpstreamRequest, verifier: (any ArtifactVerifier)?) {
        self.request = request
        self.verifier = verifier
    }
}
