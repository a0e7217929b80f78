import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat

/// The Go module proxy protocol (GOPROXY), mounted at `/go/`: `<module>/@v/list`, `@latest`
/// and `<version>.info` are metadata; `<version>.mod` and `<version>.zip` are immutable and
/// checked against the `h1:` hashes the checksum database records for them, asked of the
/// upstream that served them. Module paths and versions are case-encoded (`!x` for `X`); `go`
/// sends the `!` percent-escaped, upstreams get it as is. `/go/sumdb/<name>/…` proxies the
/// checksum database (`supported`, `lookup`, `tile`, `latest`) through the upstreams, so `go`
/// verifies through Larder with `GOSUMDB` unchanged.
public struct GoAdapter: Ecosystem {
    public static let name = "go"
    /// The public module proxy, which also proxies `sum.golang.org`.
    public static let defaultUpstreams = ["https://proxy.golang.org"]
    /// The upstream proxies, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    /// Go modules' Package URL type.
    public var ecosystem: String { "golang" }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("Go module") }
        return upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only Go module proxy (GET and HEAD)")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        if segments.first == "sumdb" { return .route(try checksumDatabaseRoute(Array(segments.dropFirst()))) }
        if let at = segments.firstIndex(of: "@latest"), at == segments.count - 1 {
            return .route(try moduleRoute(Array(segments[..<at]), file: "@latest"))
        }
        guard let at = segments.firstIndex(of: "@v"), at == segments.count - 2 else {
            throw LarderError.notFound(
                "no Go module proxy route here: Larder serves /go/<module>/@v/list, /go/<module>/@latest and /go/<module>/@v/<version>.info, .mod and .zip; set GOPROXY=\(request.baseURL)/go")
        }
        let module = Array(segments[..<at])
        let file = segments[at + 1]
        if file == "list" { return .route(try moduleRoute(module, file: "@v/list")) }
        for ext in [".info", ".mod", ".zip"] where file.hasSuffix(ext) {
            let version = String(file.dropLast(ext.count))
            guard GoModulePath.isEscapedVersion(version) else { throw LarderError.badRequest("'\(version.prefix(100))' is not a case-encoded module version") }
            switch ext {
            case ".info": return .route(try moduleRoute(module, file: "@v/\(file)"))
            case ".mod": return .route(try fileRoute(module, version: version, file: .mod, engine: engine))
            default: return .route(try fileRoute(module, version: version, file: .zip, engine: engine))
            }
        }
        throw LarderError.notFound("a module proxy serves @v/list and @v/<version>.info, .mod and .zip, not '\(file.prefix(100))'")
    }

    /// `go` shows an error answer's body as it is: plain text.
    public func errorResponse(_ error: LarderError) -> EngineResponse {
        .plainText(error)
    }

    /// The escaped module path of `segments`, checked.
    func modulePath(_ segments: [String]) throws -> String {
        let path = segments.joined(separator: "/")
        guard GoModulePath.isEscapedPath(path) else {
            throw LarderError.badRequest("'\(path.prefix(200))' is not a case-encoded module path (lower-case letters, digits, '-._~', and '!' before a letter that is upper-case)")
        }
        return path
    }

    /// A metadata document of a module: `@v/list`, `@latest` or `@v/<version>.info`.
    ///
    /// Only a version's `.info` dates it, so a cooldown dates the list's versions from their
    /// `.info` documents (once each, as they first appear), and a version's files are dated by
    /// the list first, then by their own `.info` (pseudo-versions are never listed). A query
    /// (`master.info`) is answered like `@latest`: the version it resolves to must be allowed.
    public func moduleRoute(_ segments: [String], file: String) throws -> Route {
        let upstreams = try configuredUpstreams()
        let module = try modulePath(segments)
        let path = "/\(module)/\(file)"
        let isList = file == "@v/list"
        let requested = file.hasPrefix("@v/") && file.hasSuffix(".info") ? GoModulePath.unescape(String(file.dropFirst(3).dropLast(5))) : nil
        let version = requested.flatMap { GoDocuments.isCanonical($0) ? $0 : nil }
        let name = GoModulePath.unescape(module)
        var route = Route(ecosystem: ecosystem, key: "go/\(module)/\(file)", kind: .metadata, package: PackageRef(name, version: version), contentType: isList ? "text/plain; charset=utf-8" : "application/json") {
            upstreams.map { $0.source(path: path) }
        }
        route.validate = { body, _ in
            if isList { _ = try GoDocuments.versions(body) } else { _ = try GoDocuments.info(body) }
        }
        if isList {
            route.filterVersions = { document in try GoDocuments.filteredVersions(document.body, allowed: document.versions) }
            route.listedVersions = { document in try GoDocuments.versions(document.body) }
            let adapter = self
            route.versionDater = { listed in try? adapter.moduleRoute(segments, file: "@v/\(GoModulePath.escape(listed)).info") }
            return route
        }
        route.versionDates = { document in [try GoDocuments.dated(document.body)] }
        if version != nil {
            // Dated by the list, then (a pseudo-version is never listed) by itself.
            route.datedBy = [try moduleRoute(segments, file: "@v/list"), route]
        } else {
            // @latest, or a query: one the rules refuse is not offered.
            route.filterVersions = { document in
                let latest = try GoDocuments.info(document.body)
                guard document.versions.allows(latest) else { throw LarderError.notFound("\(name)@\(requested ?? "latest") is \(latest), which the package rules refuse") }
                return document.body
            }
        }
        return route
    }

    /// A module's `.mod` or `.zip`, checked against the checksum database of the upstream that
    /// serves it.
    func fileRoute(_ segments: [String], version: String, file: GoChecksumVerifier.File, engine: Engine) throws -> Route {
        let upstreams = try configuredUpstreams()
        let module = try modulePath(segments)
        let ext = file == .zip ? "zip" : "mod"
        let path = "/\(module)/@v/\(version).\(ext)"
        let adapter = self
        var route = Route(ecosystem: ecosystem, key: "go/\(module)/@v/\(version).\(ext)", kind: .artifact, package: PackageRef(GoModulePath.unescape(module), version: GoModulePath.unescape(version)), contentType: file == .zip ? "application/zip" : "text/plain; charset=utf-8") {
            upstreams.map { upstream in
                let unescaped = GoModulePath.unescape(module)
                let verifier = GoChecksumVerifier(file: file, module: unescaped, version: GoModulePath.unescape(version)) {
                    try await adapter.records(module: module, version: version, from: upstream, engine: engine)
                }
                return Source(request: upstream.request(path: path), verifier: verifier)
            }
        }
        // go reads .mod and .zip straight from go.mod and go.sum: dated like the version's .info.
        route.datedBy = try moduleRoute(segments, file: "@v/\(version).info").datedBy
        return route
    }

    /// The checksum database's records for a module version, asked of `upstream` only (a
    /// private module's name never goes to another), cached as metadata.
    func records(module: String, version: String, from upstream: Upstream, engine: Engine) async throws -> [String: String] {
        let lookup = "lookup/\(module)@\(version)"
        let database = GoChecksumDatabase.defaultName
        let unescaped = GoModulePath.unescape(module)
        var route = Route(ecosystem: ecosystem, key: "go/sumdb/\(upstream.id)/\(database)/\(lookup)", kind: .metadata) {
            [upstream.source(path: "/sumdb/\(database)/\(lookup)")]
        }
        route.validate = { body, _ in _ = try GoChecksumDatabase.records(body, module: unescaped) }
        return try await engine.withMetadata(route) { try GoChecksumDatabase.records($0.body, module: unescaped) }
    }

    /// `/go/sumdb/<name>/…`: the checksum database `<name>` through the upstreams, which proxy
    /// it (`supported`, `latest` and `lookup` are metadata; tiles never change, and are kept).
    func checksumDatabaseRoute(_ segments: [String]) throws -> Route {
        let upstreams = try configuredUpstreams()
        guard segments.count >= 2, GoChecksumDatabase.isName(segments[0]) else {
            throw LarderError.notFound("no checksum database route here: Larder proxies /go/sumdb/<name>/supported, latest, lookup/<module>@<version> and tile/…")
        }
        let name = segments[0]
        let rest = Array(segments.dropFirst())
        let kind: Route.Kind
        switch rest[0] {
        case "supported" where rest.count == 1, "latest" where rest.count == 1:
            kind = .metadata
        case "lookup" where rest.count >= 2:
            let target = rest.dropFirst().joined(separator: "/")
            guard let at = target.lastIndex(of: "@"), GoModulePath.isEscapedPath(String(target[..<at])), GoModulePath.isEscapedVersion(String(target[target.index(after: at)...])) else {
                throw LarderError.badRequest("'\(target.prefix(200))' is not a case-encoded <module>@<version>")
            }
            kind = .metadata
        case "tile" where (4...6).contains(rest.count) && rest.dropFirst().allSatisfy({ $0.count <= 12 && $0.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "x" || $0 == "." || $0 == "p" } || $0 == "data" }):
            kind = .artifact
        default:
            throw LarderError.notFound("no checksum database route here: Larder proxies /go/sumdb/<name>/supported, latest, lookup/<module>@<version> and tile/…")
        }
        let path = "/sumdb/\(name)/" + rest.map(URLPath.encodeSegment).joined(separator: "/")
        return Route(ecosystem: ecosystem, key: "go\(path)", kind: kind, contentType: "text/plain; charset=utf-8") {
            upstreams.map { $0.source(path: path) }
        }
    }
}
