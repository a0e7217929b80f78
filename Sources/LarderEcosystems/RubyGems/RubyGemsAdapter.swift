import Foundation
public import LarderCore
import NIOCore

/// A RubyGems source, mounted at `/gem/`: the compact index Bundler and `gem` read (`versions`,
/// `info/<name>`, as metadata served byte for byte with the MD5 ETag Bundler checks), the
/// legacy index (`specs.4.8.gz`, `latest_specs.4.8.gz`, `prerelease_specs.4.8.gz` as metadata,
/// `quick/Marshal.4.8/<gem>.gemspec.rz` kept once checked to be a gemspec), and `gems/<file>.gem`,
/// verified against the SHA-256 the gem's `info` line lists. The source root answers as
/// `versions` does, because `gem` uses the compact index only when a request for the root
/// succeeds. `gem push` and `yank` are refused.
public struct RubyGemsAdapter: Ecosystem {
    public static let name = "rubygems"
    /// rubygems.org.
    public static let defaultUpstreams = ["https://rubygems.org"]
    /// Where rubygems.org serves its compact index from.
    static let publicHosts: [String: [String]] = ["rubygems.org": ["index.rubygems.org"]]
    /// The upstream sources, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams.addingPublicHosts(Self.publicHosts)
    }

    /// Gems' Package URL type, and their mount.
    public var ecosystem: String { "gem" }
    public var mount: String { "gem" }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("RubyGems") }
        return upstreams
    }

    /// The legacy index's files.
    static let specsFiles: Set<String> = ["specs.4.8.gz", "latest_specs.4.8.gz", "prerelease_specs.4.8.gz"]

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only RubyGems source: gem push and gem yank go to your upstream directly (gem push --host <upstream>)")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        switch segments.count {
        case 0:
            return .route(try versionsRoute())
        case 1 where segments[0] == "versions":
            return .route(try versionsRoute())
        case 1 where Self.specsFiles.contains(segments[0]):
            return .route(try specsRoute(segments[0]))
        case 2 where segments[0] == "info":
            guard CompactIndex.isGemName(segments[1]) else { throw LarderError.badRequest("'\(segments[1].prefix(100))' is not a gem name") }
            return .route(try infoRoute(segments[1]))
        case 2 where segments[0] == "gems":
            return .route(try gemRoute(segments[1], engine: engine))
        case 3 where segments[0] == "quick" && segments[1] == "Marshal.4.8":
            return .route(try gemspecRoute(segments[2]))
        default:
            throw LarderError.notFound(
                "no RubyGems route here: Larder serves /gem/versions, /gem/info/<name>, /gem/gems/<file>.gem, /gem/specs.4.8.gz and /gem/quick/Marshal.4.8/<file>.gemspec.rz; use --source \(request.baseURL)/gem/")
        }
    }

    /// `gem` prints an error answer's body as it is: plain text.
    public func errorResponse(_ error: LarderError) -> EngineResponse {
        .plainText(error)
    }

    /// The compact index's `versions` file.
    public func versionsRoute() throws -> Route {
        let upstreams = try configuredUpstreams()
        var route = Route(ecosystem: ecosystem, key: "gem/versions", kind: .metadata, contentType: "text/plain; charset=utf-8") {
            upstreams.map { $0.source(path: "/versions") }
        }
        route.validate = { body, _ in try CompactIndex.validateVersions(body) }
        route.filterPackages = { document, versions in CompactIndex.filteredVersionsFile(document.body, versions: versions) }
        route.etagAlgorithm = .md5
        // The cut holds the document as text, its lines and the result.
        route.parseMemoryFactor = 4
        return route
    }

    /// The gem and version a `<gem>-<version>[-<platform>].gem` file name most likely names:
    /// where the name could be split more than one way, the longest gem name (whose version
    /// starts at the last dash followed by a digit).
    static func package(ofFile filename: String) -> PackageRef? {
        guard let (name, field) = CompactIndex.candidates(forFile: filename).last else { return nil }
        return PackageRef(name, version: field.split(separator: "-").first.map(String.init))
    }

    /// A gem's `info` file.
    public func infoRoute(_ name: String) throws -> Route {
        let upstreams = try configuredUpstreams()
        var route = Route(ecosystem: ecosystem, key: "gem/info/\(name)", kind: .metadata, package: PackageRef(name), contentType: "text/plain; charset=utf-8") {
            upstreams.map { $0.source(path: "/info/\(URLPath.encodeSegment(name))") }
        }
        route.validate = { body, _ in _ = try CompactIndex.releases(body, gem: name) }
        route.filterVersions = { document in CompactIndex.filteredInfo(document.body, allowed: document.versions) }
        route.etagAlgorithm = .md5
        route.parseMemoryFactor = 4
        return route
    }

    /// A file of the legacy index, which must be gzip.
    public func specsRoute(_ file: String) throws -> Route {
        let upstreams = try configuredUpstreams()
        var route = Route(ecosystem: ecosystem, key: "gem/\(file)", kind: .metadata, contentType: "application/octet-stream") {
            upstreams.map { $0.source(path: "/\(file)") }
        }
        route.validate = { body, _ in
            guard body.readableBytesView.starts(with: [0x1f, 0x8b]) else {
                throw LarderError(.upstreamFailed, "the legacy index file \(file) is not gzip")
            }
        }
        route.parseMemoryFactor = 1
        return route
    }

    /// A gemspec of the legacy index, kept once it is checked to be one.
    public func gemspecRoute(_ file: String) throws -> Route {
        let upstreams = try configuredUpstreams()
        guard file.hasSuffix(".gemspec.rz"), CompactIndex.isGemName(String(file.dropLast(".gemspec.rz".count))) else {
            throw LarderError.badRequest("'\(file.prefix(100))' is not a <gem>-<version>.gemspec.rz file")
        }
        return Route(ecosystem: ecosystem, key: "gem/quick/\(file)", kind: .artifact, package: Self.package(ofFile: String(file.dropLast(".gemspec.rz".count)) + ".gem"), contentType: "application/octet-stream") {
            upstreams.map { Source(request: $0.request(path: "/quick/Marshal.4.8/\(URLPath.encodeSegment(file))"), verifier: GemspecVerifier()) }
        }
    }

    /// A `.gem`: its checksum from the `info` line of its version, fetched from the upstream
    /// whose `info` listed it.
    public func gemRoute(_ filename: String, engine: Engine) throws -> Route {
        let upstreams = try configuredUpstreams()
        let candidates = CompactIndex.candidates(forFile: filename)
        guard !candidates.isEmpty else { throw LarderError.badRequest("'\(filename.prefix(100))' is not a <gem>-<version>[-<platform>].gem file") }
        let adapter = self
        return Route(ecosystem: ecosystem, key: "gem/gems/\(filename)", kind: .artifact, package: Self.package(ofFile: filename), contentType: "application/octet-stream") {
            var listedNowhere = true
            for candidate in candidates {
                let found: (releases: [CompactIndex.Release], upstream: String?)
                do {
                    found = try await engine.withMetadata(try adapter.infoRoute(candidate.name)) { document in
                        (try CompactIndex.releases(document.body, gem: candidate.name), document.entry.upstream)
                    }
                } catch let error as LarderError where error.kind == .notFound {
                    continue
                }
                listedNowhere = false
                guard let release = found.releases.first(where: { $0.field == candidate.field }),
                    let upstream = upstreams.upstream(withID: found.upstream), let integrity = Integrity(algorithm: .sha256, hex: release.sha256)
                else { continue }
                return [Source(request: upstream.request(path: "/gems/\(URLPath.encodeSegment(filename))"), integrity: integrity)]
            }
            // A source with only the legacy index promises no digest: stored unverified, logged.
            if listedNowhere { return upstreams.map { Source(request: $0.request(path: "/gems/\(URLPath.encodeSegment(filename))")) } }
            throw LarderError.notFound("the compact index lists no \(filename) upstream (a yanked or unknown version)")
        }
    }
}
