public import NIOCore

/// What an ecosystem adapter and the engine see of a client's request: the method, the path
/// under the adapter's mount point, the headers that matter for caching, and the public base
/// URL that rewritten links must point at.
public struct ClientRequest: Sendable {
    /// HTTP methods Larder distinguishes.
    public enum Method: String, Sendable { case get = "GET", head = "HEAD", post = "POST", put = "PUT", delete = "DELETE", patch = "PATCH", options = "OPTIONS", other }

    /// The request method.
    public var method: Method
    /// The path below the adapter's mount point, decoded and checked.
    public var path: RequestPath
    /// The raw query string, without `?`, if any.
    public var query: String?
    /// Request headers, lower-cased names.
    public var headers: [String: String]
    /// The public URL of Larder's root, without a trailing slash (`http://127.0.0.1:8080`).
    public var baseURL: String
    /// Reads the request body, bounded by the server (a `413` when larger); nil when there is
    /// none. Adapters read it only when they pass a write on, so a write a route refuses costs
    /// Larder nothing.
    public var readBody: @Sendable () async throws(LarderError) -> ByteBuffer?
    /// Whether a miss may be stored. When false, an artifact is streamed from upstream (still
    /// verified, still downloaded once for all who ask meanwhile) without entering the cache.
    public var populate = true
    /// Whether this listener refuses requests without a token. Adapters whose clients must be
    /// told to send one (Cargo's `auth-required`) say so in what they render.
    public var authenticationRequired = false

    /// Creates a request description.
    public init(method: Method, path: RequestPath, query: String? = nil, headers: [String: String] = [:], baseURL: String, readBody: @escaping @Sendable () async throws(LarderError) -> ByteBuffer? = { nil }) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.baseURL = baseURL
        self.readBody = readBody
    }

    /// A header's value by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
