import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat

/// The npm registry API, mounted at `/npm/`: package documents (full, and abbreviated for
/// `Accept: application/vnd.npm.install-v1+json`), version documents and tarballs, for plain and
/// scoped packages (`@scope/name` and `@scope%2fname`). Writes are refused; audit, search and
/// the other `/-/` endpoints pass through to upstream uncached.
public struct NpmAdapter: Ecosystem {
    public static let name = "npm"
    /// The public npm registry, used when no upstream is configured.
    public static let defaultUpstreams = ["https://registry.npmjs.org"]
    /// The upstream registries, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("npm") }
        return upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        let segments = request.path.segments
        guard let first = segments.first else {
            throw LarderError.notFound("no npm route here: point npm's registry at \(request.baseURL)/npm/")
        }
        if first == "-" { return try await registryEndpoint(request) }

        let name: NpmPackageName
        let rest: ArraySlice<String>
        if first.hasPrefix("@") && request.path.encodedSlashSegments.contains(0) {
            name = try NpmPackageName(first)
            rest = segments.dropFirst()
            try request.path.requireNoEncodedSlash(from: 1)
        } else if first.hasPrefix("@") {
            guard segments.count >= 2 else { throw LarderError.badRequest("'\(first)' is a scope without a package name") }
            try request.path.requireNoEncodedSlash()
            name = try NpmPackageName("\(first)/\(segments[1])")
            rest = segments.dropFirst(2)
        } else {
            try request.path.requireNoEncodedSlash()
            name = try NpmPackageName(first)
            rest = segments.dropFirst()
        }

        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only npm mirror: publish, unpublish, dist-tag and owner changes go to your upstream registry directly (npm publish --registry <upstream>)")
        }
        switch rest.count {
        case 0:
            let abbreviated = request.header("accept")?.contains(Packument.abbreviatedType) ?? false
            return .route(try packumentRoute(name, abbreviated: abbreviated, baseURL: request.baseURL))
        case 1:
            return .route(try versionRoute(name, version: rest.first!, baseURL: request.baseURL))
        case 2 where rest.first == "-":
            return .route(try tarballRoute(name, filename: rest.last!, engine: engine))
        default:
            throw LarderError.notFound("no npm route here: Larder serves /npm/<package>, /npm/<package>/<version> and /npm/<package>/-/<tarball>")
        }
    }

    /// `/-/…`: registry endpoints Larder does not cache (audit, search, ping), passed through to
    /// the first upstream without Larder's credentials for it.
    private func registryEndpoint(_ request: ClientRequest) async throws -> Resolution {
        guard let upstream = try configuredUpstreams().first else { throw Self.notConfigured("npm") }
        try request.path.requireNoEncodedSlash()
        let isAudit = request.path.segments.starts(with: ["-", "npm", "v1", "security"])
        switch request.method {
        case .get, .head: break
        case .post where isAudit: break
        default:
            throw LarderError(.methodNotAllowed, "Larder is a read-only npm mirror: log in and publish to your upstream registry directly")
        }
        let path = "/" + request.path.segments.map(URLPath.encodeSegment).joined(separator: "/") + (request.query.map { "?\($0)" } ?? "")
        var headers: [(String, String)] = []
        for name in ["accept", "content-type", "content-encoding", "npm-command"] {
            if let value = request.header(name) { headers.append((name, value)) }
        }
        var forwarded = upstream.anonymousRequest(path: path, headers: headers)
        forwarded.method = request.method.rawValue
        forwarded.body = try await request.readBody()
        return .route(Route(ecosystem: ecosystem, key: "npm/pass\(path)", kind: .passthrough) { [forwarded] in
            [Source(request: forwarded)]
        })
    }

    /// The route of a package document. Its renderings and links are read as a stream of JSON
    /// tokens (`Packument`), so a 100 MB document never becomes a tree in memory.
    public func packumentRoute(_ name: NpmPackageName, abbreviated: Bool, baseURL: String) throws -> Route {
        let upstreams = try configuredUpstreams()
        let type = abbreviated ? Packument.abbreviatedType : "application/json"
        let tarballBase = "\(baseURL)/\(mount)/\(name)/-/"
        let presenter = MetadataPresenter(variant: "\(type)|\(baseURL)") { document in
            // Upstreams that ignore the abbreviated Accept send the full document: it is cut down.
            let body = try Packument(document.body, source: document.sourceURL).rendered(tarballBase: tarballBase, abbreviated: abbreviated, versions: document.versions)
            return Presentation(body: body, contentType: type)
        }
        let accept = abbreviated ? "\(Packument.abbreviatedType); q=1.0, application/json; q=0.8, */*" : "application/json"
        var route = Route(ecosystem: ecosystem, key: "npm/\(abbreviated ? "packument-abbrev" : "packument")/\(name)", kind: .metadata, package: PackageRef(name.description), presenter: presenter) {
            upstreams.map { $0.source(path: "/\(name.urlPath)", headers: [("Accept", accept)]) }
        }
        route.validate = { body, _ in try Packument(body, source: "the answer").validate(name: name.description) }
        if abbreviated {
            // Abbreviated documents carry no publish times: the full document dates their versions.
            route.datedBy = [try packumentRoute(name, abbreviated: false, baseURL: "")]
        } else {
            route.versionDates = { document in try Packument(document.body, source: document.sourceURL).versionDates() }
        }
        route.links = { document in
            try Packument(document.body, source: document.sourceURL).releases().compactMap(\.tarball).map {
                ArtifactLink(name: $0.filename, url: $0.url, integrity: $0.integrity)
            }
        }
        // The document, its rendering, and room for the scanner's bookkeeping.
        route.parseMemoryFactor = 3
        return route
    }

    /// The route of one version's document (by version or dist-tag), cut from the full document.
    public func versionRoute(_ name: NpmPackageName, version: String, baseURL: String) throws -> Route {
        var route = try packumentRoute(name, abbreviated: false, baseURL: baseURL)
        let tarballBase = "\(baseURL)/\(mount)/\(name)/-/"
        // A version (not a tag) is the package rules' business: a refused one gets 403 and why.
        if NpmSemver.Version(version) != nil { route.package = PackageRef(name.description, version: version) }
        route.presenter = MetadataPresenter(variant: "version:\(version)|\(baseURL)") { document in
            var packument = Packument(document.body, source: document.sourceURL)
            if !document.versions.allowsEverything {
                // Tags resolve among the versions the rules allow.
                packument = Packument(try packument.rendered(tarballBase: tarballBase, abbreviated: false, versions: document.versions), source: document.sourceURL)
            }
            guard let data = try packument.version(version, tarballBase: tarballBase) else {
                throw LarderError.notFound("package '\(name)' has no version or dist-tag '\(version)' upstream")
            }
            return Presentation(body: ByteBuffer(data: data), contentType: "application/json")
        }
        return route
    }

    /// The route of a tarball, resolved through the links recorded for the package document and
    /// fetched under the rules of the upstream that served it.
    public func tarballRoute(_ name: NpmPackageName, filename: String, engine: Engine) throws -> Route {
        let upstreams = try configuredUpstreams()
        let abbreviated = try packumentRoute(name, abbreviated: true, baseURL: "")
        let full = try packumentRoute(name, abbreviated: false, baseURL: "")
        var route = Route(ecosystem: ecosystem, key: "npm/tarball/\(name)/\(filename)", kind: .artifact, package: PackageRef(name.description, version: name.version(ofTarball: filename)), contentType: "application/octet-stream") {
            var firstError: (any Error)?
            for route in [abbreviated, full] {
                do {
                    if let found = try await engine.artifactLink(route, named: filename), let upstream = upstreams.upstream(withID: found.upstream) {
                        return [Source(request: try upstream.request(url: found.link.url), integrity: found.link.integrity)]
                    }
                    firstError = firstError ?? LarderError.notFound("package '\(name)' has no tarball '\(filename)' upstream")
                } catch {
                    firstError = firstError ?? error
                }
            }
            throw firstError!
        }
        // npm ci reads tarballs straight from the lockfile: the full document dates them.
        route.datedBy = [full]
        return route
    }
}
