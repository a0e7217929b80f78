import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat

/// The pull side of the OCI distribution API, mounted at `/v2/`: the base endpoint, manifests
/// and image indexes by tag or digest, blobs, and tag lists (GET and HEAD), with
/// `Docker-Content-Digest` and the specification's JSON errors. Manifests by digest and blobs
/// are immutable and verified against their digest; manifests by tag and tag lists are
/// metadata. `/v2/<name>/<repository>/…` reaches the upstream configured as
/// `upstreams.oci.<name>`; other repositories go to the default upstream (unnamed, or named
/// `default`; Docker Hub unless configured, with `library/` added to one-part names there). Registries that ask for a bearer token get the
/// token handshake (`OCITokenHandler`).
public struct OCIAdapter: Ecosystem {
    public static let name = "oci"
    /// Docker Hub's registry.
    public static let defaultUpstreams = ["https://registry-1.docker.io"]
    /// The registries: one default, and named ones.
    public let upstreams: [Upstream]

    /// Docker Hub's token service, trusted with Docker Hub credentials.
    static let dockerHubTokenHost = HostPattern("auth.docker.io")!

    /// Creates the adapter; its registries answer token challenges with `OCITokenHandler`,
    /// trusting their `artifact_hosts` (and, for Docker Hub, its token service) with their
    /// credentials.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams.map { upstream in
            var upstream = upstream
            if upstream.challengeHandler == nil {
                let hub = upstream.origin.host == "registry-1.docker.io" ? [Self.dockerHubTokenHost] : []
                upstream.challengeHandler = OCITokenHandler(trustedHosts: upstream.artifactHosts + hub)
            }
            return upstream
        }
    }

    /// Clients ask at `/v2/`, as the specification fixes.
    public var mount: String { "v2" }

    /// The manifest media types Larder accepts from upstream.
    static let manifestTypes = [
        "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
    ]

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        var segments = request.path.segments
        if request.path.hasTrailingSlash, segments.last == "" { segments.removeLast() }
        guard !segments.isEmpty else {
            return .response(EngineResponse(status: 200, headers: [("Content-Type", "application/json"), ("Docker-Distribution-API-Version", "registry/2.0")], body: .buffer(ByteBuffer(string: "{}"))))
        }
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a pull-through registry: push to your registry directly", code: "UNSUPPORTED")
        }
        try request.path.requireNoEncodedSlash()
        guard segments.count >= 3 else { throw Self.unknown("no registry route here: Larder serves /v2/<repository>/manifests/<reference>, /blobs/<digest> and /tags/list") }
        let operation = segments[segments.count - 2]
        let last = segments[segments.count - 1]
        let (upstream, repository) = try select(Array(segments.dropLast(2)))
        let route: Route
        switch operation {
        case "manifests": route = try manifestRoute(upstream, repository, reference: last)
        case "blobs":
            guard let integrity = try OCIName.sha256(last) else {
                throw LarderError(.badRequest, "blobs are named by digest (sha256:<hex>), not '\(last.prefix(100))'", code: "DIGEST_INVALID")
            }
            route = blobRoute(upstream, repository, digest: last, integrity: integrity)
        case "tags" where last == "list":
            route = try tagsRoute(upstream, repository, query: request.query)
        default:
            throw Self.unknown("no registry route here: Larder serves /v2/<repository>/manifests/<reference>, /blobs/<digest> and /tags/list")
        }
        // Served here rather than by the server, so that errors get the code of what was asked.
        do {
            return .response(try await engine.serve(route, request: request))
        } catch {
            var coded = error
            if coded.code == nil, coded.kind == .notFound {
                coded.code = operation == "blobs" ? "BLOB_UNKNOWN" : operation == "manifests" ? "MANIFEST_UNKNOWN" : "NAME_UNKNOWN"
            }
            throw coded
        }
    }

    /// The specification's error document: `{"errors": [{"code", "message"}]}`.
    /// OCI clients answer a Bearer challenge by asking its realm (Larder's `/auth/token`) for a
    /// token with their credentials, then retry with it.
    public func authenticationChallenge(baseURL: String, path: RequestPath) -> String? {
        var challenge = "Bearer realm=\"\(baseURL)/auth/token\",service=\"larder\""
        let segments = path.segments
        if let at = segments.lastIndex(where: { ["manifests", "blobs", "tags"].contains($0) }), at > 0 {
            challenge += ",scope=\"repository:\(segments[..<at].joined(separator: "/")):pull\""
        }
        return challenge
    }

    public func errorResponse(_ error: LarderError) -> EngineResponse {
        let code = error.code ?? Self.code(for: error.status)
        let json = "{\"errors\":[{\"code\":\(jsonString(code)),\"message\":\(jsonString(error.message))}]}\n"
        return EngineResponse(status: error.status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")] + error.headers, body: .buffer(ByteBuffer(string: json)))
    }

    static func code(for status: Int) -> String {
        switch status {
        case 400: "NAME_INVALID"
        case 401: "UNAUTHORIZED"
        case 403: "DENIED"
        case 404: "NAME_UNKNOWN"
        case 405: "UNSUPPORTED"
        case 429: "TOOMANYREQUESTS"
        default: "UNKNOWN"
        }
    }

    static func unknown(_ message: String) -> LarderError {
        LarderError(.notFound, message, code: "NAME_UNKNOWN")
    }

    /// The upstream and the repository on it that `parts` (the path before the operation) name:
    /// a first part naming a configured upstream selects it, else the default upstream.
    func select(_ parts: [String]) throws -> (Upstream, String) {
        guard !upstreams.isEmpty else { throw Self.notConfigured("OCI registry") }
        var upstream: Upstream
        var rest = parts
        if parts.count >= 2, let named = upstreams.first(where: { $0.name != nil && $0.name != "default" && $0.name == parts[0] }) {
            upstream = named
            rest = Array(parts.dropFirst())
        } else if let fallback = upstreams.first(where: { $0.name == nil || $0.name == "default" }) {
            upstream = fallback
        } else {
            let names = upstreams.compactMap(\.name).sorted().joined(separator: ", ")
            throw Self.unknown("'\(parts.first?.prefix(100) ?? "")' is not a configured registry (\(names)), and no default registry is configured (upstreams.oci.default)")
        }
        var repository = rest.joined(separator: "/")
        guard OCIName.isRepository(repository) else {
            throw LarderError(.badRequest, "'\(repository.prefix(200))' is not a repository name (lower-case letters, digits and separators)", code: "NAME_INVALID")
        }
        // Docker Hub keeps official images under library/.
        if upstream.origin.host == "registry-1.docker.io", rest.count == 1 { repository = "library/" + repository }
        return (upstream, repository)
    }

    /// The key prefix of a repository on an upstream.
    func keyPrefix(_ upstream: Upstream, _ repository: String) -> String {
        "oci/\(upstream.name ?? "default")/\(repository)"
    }

    /// A manifest or index: by digest immutable and verified, by tag metadata. Upstream is
    /// always offered every manifest media type, so one stored answer per tag serves every
    /// client (and what the mirror stored serves clients offline).
    func manifestRoute(_ upstream: Upstream, _ repository: String, reference: String) throws -> Route {
        let headers = [("Accept", Self.manifestTypes.joined(separator: ", "))]
        let path = "/v2/\(repository)/manifests/\(reference)"
        if let integrity = try OCIName.sha256(reference) {
            var route = Route(ecosystem: ecosystem, key: "\(keyPrefix(upstream, repository))/manifests/\(reference)", kind: .artifact, package: PackageRef(repository, version: reference)) {
                [upstream.source(path: path, headers: headers, integrity: integrity)]
            }
            route.headers = [("Docker-Content-Digest", reference)]
            return route
        }
        guard OCIName.isTag(reference) else {
            throw LarderError(.badRequest, "'\(reference.prefix(130))' is neither a tag nor a sha256 digest", code: "MANIFEST_INVALID")
        }
        if upstream.digestOnly {
            throw LarderError(
                .forbidden,
                "\(upstream.setting) serves images by digest only (digest_only: true): pull \(repository)@sha256:<digest> instead of the tag '\(reference.prefix(130))'",
                code: "DENIED")
        }
        var route = Route(ecosystem: ecosystem, key: "\(keyPrefix(upstream, repository))/manifests/\(reference)", kind: .metadata, package: PackageRef(repository, version: reference)) {
            [upstream.source(path: path, headers: headers)]
        }
        route.storedHeaders = ["docker-content-digest"]
        route.validate = { body, _ in try Self.validateJSONObject(body, what: "a manifest") }
        return route
    }

    /// A blob: immutable, verified against its digest.
    func blobRoute(_ upstream: Upstream, _ repository: String, digest: String, integrity: Integrity) -> Route {
        var route = Route(ecosystem: ecosystem, key: "\(keyPrefix(upstream, repository))/blobs/\(digest)", kind: .artifact, package: PackageRef(repository), contentType: "application/octet-stream") {
            [upstream.source(path: "/v2/\(repository)/blobs/\(digest)", integrity: integrity)]
        }
        route.headers = [("Docker-Content-Digest", digest)]
        return route
    }

    /// A repository's tag list (with the client's paging, `n` and `last`, the only parameters
    /// the specification gives it): metadata.
    func tagsRoute(_ upstream: Upstream, _ repository: String, query: String?) throws -> Route {
        var parameters: [String] = []
        for pair in (query ?? "").split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count == 2 ? parts[1] : ""
            switch parts[0] {
            case "n" where Int(value).map { (0...100_000).contains($0) } ?? false: parameters.append("n=\(value)")
            case "last" where OCIName.isTag(value): parameters.append("last=\(value)")
            default:
                throw LarderError(.badRequest, "tags/list takes n (a count) and last (a tag), not '\(pair.prefix(100))'", code: "UNSUPPORTED")
            }
        }
        let suffix = parameters.isEmpty ? "" : "?" + parameters.sorted().joined(separator: "&")
        var route = Route(ecosystem: ecosystem, key: "\(keyPrefix(upstream, repository))/tags/list\(suffix)", kind: .metadata, package: PackageRef(repository), contentType: "application/json") {
            [upstream.source(path: "/v2/\(repository)/tags/list\(suffix)")]
        }
        route.validate = { body, _ in try Self.validateJSONObject(body, what: "a tag list") }
        route.filterVersions = { document in
            // Tags are the references the package rules name: refused ones leave the list.
            guard var list = try JSONSerialization.jsonObject(with: Data(document.body.readableBytesView)) as? [String: Any] else {
                throw LarderError(.upstreamFailed, "the stored tag list is not a JSON object")
            }
            list["tags"] = (list["tags"] as? [String] ?? []).filter(document.versions.allows)
            return ByteBuffer(data: try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
        return route
    }

    static func validateJSONObject(_ body: ByteBuffer, what: String) throws {
        guard (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) is [String: Any] else {
            throw LarderError(.upstreamFailed, "it is not \(what) (a JSON object)")
        }
    }
}
