/// An ecosystem's protocol knowledge: maps a client's request below the adapter's mount point
/// to a `Route` for the engine, or answers it directly (redirects, refusals). Adapters never
/// touch storage; to resolve an artifact they ask the engine for metadata.
public protocol EcosystemAdapter: Sendable {
    /// The Package URL type of the ecosystem (`pypi`, `npm`).
    var ecosystem: String { get }
    /// The first path segment the adapter is mounted under (`pypi` for `/pypi/…`).
    var mount: String { get }
    /// Decides how to answer `request`, whose path is relative to the mount point.
    func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution
    /// The answer for an error under the mount point, in the protocol's own error format. The
    /// default is JSON `{"error": message}` with the error's status and headers.
    func errorResponse(_ error: LarderError) -> EngineResponse
    /// Names of documents at `/.well-known/<name>` the adapter answers (Terraform's
    /// `terraform.json`); such a request reaches `resolve` with the path `<name>`. None by default.
    var wellKnownNames: [String] { get }
    /// The `WWW-Authenticate` challenge a request below the mount point gets when it needs a
    /// token it did not present (`path` relative to the mount point), for protocols whose
    /// clients expect their own (OCI's `Bearer realm=…,service=…,scope=…`); nil for
    /// `Basic realm="Larder"` (the default).
    func authenticationChallenge(baseURL: String, path: RequestPath) -> String?
}

extension EcosystemAdapter {
    public func errorResponse(_ error: LarderError) -> EngineResponse { .error(error) }
    public var wellKnownNames: [String] { [] }
    public func authenticationChallenge(baseURL: String, path: RequestPath) -> String? { nil }
}

/// An adapter's decision.
public enum Resolution: Sendable {
    /// Let the engine answer from the cache or upstream.
    case route(Route)
    /// Answer directly.
    case response(EngineResponse)
}

extension EngineResponse {
    /// A permanent redirect to `location`.
    public static func redirect(_ location: String) -> EngineResponse {
        EngineResponse(status: 301, headers: [("Location", location), ("Content-Length", "0")])
    }
}
