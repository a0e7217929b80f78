public import LarderCore

/// Plain files, mounted at `/files/<name>/<path>`: each named upstream is a base URL (a release
/// asset host, a download site) configured as `upstreams.files.<name>`, and a request fetches
/// `<base URL>/<path>` once and keeps it forever, recorded with its size and SHA-256 (the
/// `ETag`). A client may declare the SHA-256 it expects in `X-Checksum-Sha256`: a download
/// must match it, and a stored copy that does not is refused, not replaced. Its Package URL type
/// is `generic`.
public struct FilesAdapter: Ecosystem {
    public static let name = "files"
    /// No public default: files come only from hosts the configuration names.
    public static let defaultUpstreams: [String] = []
    /// The upstreams, by name (`upstreams.files.<name>`); one set by the environment or a flag
    /// has no name and answers as `default`.
    public let upstreams: [Upstream]

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    /// The Package URL type of plain files.
    public var ecosystem: String { "generic" }

    /// The name an upstream answers to under `/files/`.
    static func name(of upstream: Upstream) -> String { upstream.name ?? "default" }

    /// The request header in which a client declares the file's SHA-256.
    static let checksumHeader = "x-checksum-sha256"

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        let segments = request.path.segments
        guard segments.count >= 2 else {
            throw LarderError.notFound("no file here: Larder serves /files/<name>/<path>, with <name> an upstream configured as upstreams.files.<name>")
        }
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder serves files read-only (GET and HEAD)")
        }
        try request.path.requireNoEncodedSlash()
        var declared: String?
        if let value = request.header(Self.checksumHeader) {
            guard let integrity = Integrity(algorithm: .sha256, hex: value.trimmingCharacters(in: .whitespaces)) else {
                throw LarderError.badRequest("\(Self.checksumHeader) must be a SHA-256 in hex (64 characters), got '\(value.prefix(100))'")
            }
            declared = integrity.hex
        }
        let path = segments.dropFirst().map(URLPath.encodeSegment).joined(separator: "/") + (request.path.hasTrailingSlash ? "/" : "")
        return .route(try fileRoute(upstream: segments[0], path: path + (request.query.map { "?\($0)" } ?? ""), declaredSHA256: declared))
    }

    /// The route of the file at `path` (URL-encoded, relative, with its query if any) below the
    /// upstream named `name`, with the SHA-256 declared for it.
    public func fileRoute(upstream name: String, path: String, declaredSHA256: String?, integrity: Integrity? = nil) throws -> Route {
        guard !upstreams.isEmpty else { throw Self.notConfigured("files") }
        guard let upstream = upstreams.first(where: { Self.name(of: $0) == name }) else {
            let known = upstreams.map(Self.name(of:)).sorted().joined(separator: ", ")
            throw LarderError.notFound("no files upstream is named '\(name.prefix(100))' (configured: \(known)); add it as upstreams.files.\(name.prefix(100))")
        }
        // The configuration's SHA-256 for the path binds every client; one a client declares
        // must agree with it.
        let pinned = upstream.pinnedSHA256[path]
        if let pinned, let declaredSHA256, pinned != declaredSHA256 {
            throw LarderError(.conflict, "the request declares SHA-256 \(declaredSHA256) for \(path.prefix(200)), but \(upstream.setting).sha256 fixes \(pinned)")
        }
        let required = pinned ?? declaredSHA256
        let promise = required.flatMap { Integrity(algorithm: .sha256, hex: $0) } ?? integrity
        var route = Route(ecosystem: ecosystem, key: "files/\(name)/\(path)", kind: .artifact, package: PackageRef("\(name)/\(path)")) {
            [upstream.source(path: "/" + path, integrity: promise)]
        }
        route.declaredSHA256 = required
        return route
    }
}
