public import NIOCore

/// A request Larder makes to an upstream registry. Credentials are not headers an adapter
/// writes: they travel bound to the origin they were configured for, and the client attaches
/// them only to a request (or a redirect hop) for exactly that scheme, host and port.
public struct UpstreamRequest: Sendable {
    /// The absolute URL.
    public var url: String
    /// The method; GET unless passing a client's request through.
    public var method: String
    /// Headers to send. Never put credentials here: they belong to an `Upstream`.
    public var headers: [(String, String)]
    /// A body, for pass-through requests.
    public var body: ByteBuffer?
    /// Credentials and the only origin they may be sent to.
    var credentials: (origin: URLOrigin, value: UpstreamCredentials)?
    /// The handshake to run when the upstream answers 401 with a challenge.
    var challengeHandler: (any UpstreamChallengeHandler)?
    /// The upstream the request belongs to (its `id`), recorded with what it fetched.
    public internal(set) var upstreamID: String?
    /// Its upstream's bounds on a download: bytes, time, and the setting that sets them.
    var limits: (maxBytes: Int64, maxDuration: Duration, setting: String)?
    /// Whether its upstream is private (it has credentials or `readers`): when it cannot be
    /// reached, the upstreams after it are not asked in its place.
    public internal(set) var isPrivate = false

    /// Creates a request without credentials.
    public init(url: String, method: String = "GET", headers: [(String, String)] = [], body: ByteBuffer? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }

    /// Whether the request would carry credentials to its own URL.
    public var carriesCredentials: Bool {
        guard let credentials else { return false }
        return URLOrigin(url: url) == credentials.origin
    }

    /// A request to the token service at `url` that this request's challenge named (the same
    /// handshake, no challenge handler of its own). It carries this request's credentials, bound
    /// to the service's origin, only when the service is at the origin the credentials belong
    /// to or on one of `trustedHosts` (the upstream's `artifact_hosts`); otherwise none.
    public func tokenServiceRequest(url: String, headers: [(String, String)], trustedHosts: [HostPattern]) -> UpstreamRequest {
        var request = UpstreamRequest(url: url, headers: headers)
        request.upstreamID = upstreamID
        if let credentials, let origin = URLOrigin(url: url), origin == credentials.origin || trustedHosts.contains(where: { $0.matches(origin) }) {
            request.credentials = (origin, credentials.value)
        }
        return request
    }

    /// The URL safe to show in logs and messages.
    public var displayURL: String { Self.redact(url) }

    /// `url` with any user-info replaced by `***`.
    public static func redact(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at,
            !url[scheme.upperBound..<at].contains("/")
        else { return url }
        return url[..<scheme.upperBound] + "***@" + url[url.index(after: at)...]
    }
}
