import Foundation
public import LarderCore
import NIOCore

/// A NuGet V3 feed, mounted at `/nuget/`: the service index at `/nuget/v3/index.json` naming
/// Larder's flat container (`/nuget/v3-flatcontainer/`: version lists as metadata, `.nupkg`
/// and `.nuspec` immutable) and registration hive (`/nuget/v3/registration/`: metadata whose
/// URLs are rewritten to Larder, inflated where the feed stores them gzipped). Where the feed's
/// resources are comes from its own service index, which is the upstream URL.
public struct NuGetAdapter: Ecosystem {
    public static let name = "nuget"
    /// nuget.org's service index.
    public static let defaultUpstreams = ["https://api.nuget.org/v3/index.json"]
    /// The upstream feeds, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("NuGet") }
        return upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only NuGet feed: dotnet nuget push and delete go to your upstream feed directly")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        let mountURL = "\(request.baseURL)/\(mount)"
        switch segments.first {
        case "v3" where segments == ["v3", "index.json"]:
            return .route(try serviceIndexRoute(mountURL: mountURL))
        case "v3-flatcontainer" where segments.count == 3 && segments[2] == "index.json":
            return .route(try versionsRoute(try Self.id(segments[1]), engine: engine))
        case "v3-flatcontainer" where segments.count == 4:
            let id = try Self.id(segments[1])
            let version = try Self.version(segments[2])
            if segments[3] == "\(id).\(version).nupkg" { return .route(try packageRoute(id, version: version, engine: engine)) }
            if segments[3] == "\(id).nuspec" { return .route(try nuspecRoute(id, version: version, engine: engine)) }
        case "v3" where segments.count >= 4 && segments[1] == "registration":
            return .route(try await registrationRoute(try Self.id(segments[2]), rest: Array(segments.dropFirst(3)), mountURL: mountURL, engine: engine))
        default:
            break
        }
        throw LarderError.notFound(
            "no NuGet route here: Larder serves /nuget/v3/index.json (point your NuGet source at it), /nuget/v3-flatcontainer/<id>/… and /nuget/v3/registration/<id>/…; search is not mirrored")
    }

    /// A lower-case package id.
    static func id(_ text: String) throws -> String {
        guard !text.isEmpty, text.count <= 100, text == text.lowercased(), text.first != ".",
            text.unicodeScalars.allSatisfy({ $0.isASCII && (("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) })
        else { throw LarderError.badRequest("'\(text.prefix(100))' is not a lower-case NuGet package id") }
        return text
    }

    /// A lower-case, normalized version.
    static func version(_ text: String) throws -> String {
        guard let first = text.unicodeScalars.first, ("0"..."9").contains(first), text.count <= 100, text == text.lowercased(),
            text.unicodeScalars.allSatisfy({ $0.isASCII && (("a"..."z").contains($0) || ("0"..."9").contains($0) || ".-+".unicodeScalars.contains($0)) })
        else { throw LarderError.badRequest("'\(text.prefix(100))' is not a lower-case NuGet version") }
        return text
    }

    /// `upstream`'s service index, as stored.
    func upstreamIndexRoute(_ upstream: Upstream) -> Route {
        var route = Route(ecosystem: ecosystem, key: "nuget/index/\(upstream.id)", kind: .metadata, contentType: "application/json") {
            [upstream.source(path: "")]
        }
        route.validate = { body, _ in _ = try NuGetDocuments.resources(body) }
        return route
    }

    /// The service index clients get: Larder's flat container and registrations, offered once
    /// the first feed's own index has been read.
    public func serviceIndexRoute(mountURL: String) throws -> Route {
        guard let first = try configuredUpstreams().first else { throw Self.notConfigured("NuGet") }
        var route = upstreamIndexRoute(first)
        route.presenter = MetadataPresenter(variant: mountURL) { _ in
            Presentation(body: NuGetDocuments.serviceIndex(flatContainer: "\(mountURL)/v3-flatcontainer/", registrations: "\(mountURL)/v3/registration/"), contentType: "application/json")
        }
        return route
    }

    /// The resources of `upstream`'s service index.
    func resources(of upstream: Upstream, engine: Engine) async throws -> [String: String] {
        try await engine.withMetadata(upstreamIndexRoute(upstream)) { try NuGetDocuments.resources($0.body) }
    }

    /// Sources for `path` below the flat container of each feed the requester may read.
    func flatSources(_ path: String, engine: Engine, verifier: (any ArtifactVerifier)? = nil) async throws -> [Source] {
        var sources: [Source] = []
        for upstream in try configuredUpstreams() where engine.mayRead(upstream, ecosystem: ecosystem) {
            let base = try NuGetDocuments.flatContainer(try await resources(of: upstream, engine: engine))
            sources.append(Source(request: try upstream.request(url: base + path), verifier: verifier))
        }
        return sources
    }

    /// A package's version list.
    public func versionsRoute(_ id: String, engine: Engine) throws -> Route {
        _ = try configuredUpstreams()
        let adapter = self
        var route = Route(ecosystem: ecosystem, key: "nuget/flat/\(id)/index.json", kind: .metadata, package: PackageRef(id), contentType: "application/json") {
            try await adapter.flatSources("\(id)/index.json", engine: engine)
        }
        route.validate = { body, _ in _ = try NuGetDocuments.versions(body) }
        route.filterVersions = { document in try NuGetDocuments.filteredVersions(document.body, allowed: document.versions) }
        // The list carries no dates: each version's registration leaf says when it was published.
        route.listedVersions = { document in try NuGetDocuments.versions(document.body) }
        route.versionDater = { version in try? adapter.leafDatingRoute(id, version: version, engine: engine) }
        return route
    }

    /// A version's standalone registration leaf, read for its `published` time (stored under the
    /// key clients' requests for the leaf use).
    func leafDatingRoute(_ id: String, version: String, engine: Engine) throws -> Route {
        _ = try configuredUpstreams()
        let adapter = self
        let path = [id, "\(version).json"].map(URLPath.encodeSegment).joined(separator: "/")
        var route = Route(ecosystem: ecosystem, key: "nuget/registration/\(path)", kind: .metadata, package: PackageRef(id, version: version)) {
            try await adapter.registrationFeeds(engine: engine).map { Source(request: try $0.upstream.request(url: $0.registrations + path)) }
        }
        route.validate = { body, _ in try NuGetDocuments.validateJSON(body, what: "registration document") }
        route.versionDates = { document in [VersionDate(version, published: try NuGetDocuments.leafPublished(document.body))] }
        return route
    }

    /// The registration hive and flat container of each feed the requester may read.
    func registrationFeeds(engine: Engine) async throws -> [(upstream: Upstream, registrations: String, flat: String)] {
        var feeds: [(upstream: Upstream, registrations: String, flat: String)] = []
        var firstError: (any Error)?
        for upstream in try configuredUpstreams() where engine.mayRead(upstream, ecosystem: ecosystem) {
            do {
                let resources = try await resources(of: upstream, engine: engine)
                feeds.append((upstream, try NuGetDocuments.registrations(resources), try NuGetDocuments.flatContainer(resources)))
            } catch {
                firstError = firstError ?? error
            }
        }
        if feeds.isEmpty, let firstError { throw firstError }
        return feeds
    }

    /// A `.nupkg`, kept once checked to be that package.
    public func packageRoute(_ id: String, version: String, engine: Engine) throws -> Route {
        _ = try configuredUpstreams()
        let adapter = self
        var route = Route(ecosystem: ecosystem, key: "nuget/flat/\(id)/\(version)/\(id).\(version).nupkg", kind: .artifact, package: PackageRef(id, version: version), contentType: "application/octet-stream") {
            try await adapter.flatSources("\(id)/\(version)/\(id).\(version).nupkg", engine: engine, verifier: NupkgVerifier(id: id))
        }
        // Restoring from a lock file fetches packages without their list: the list dates them.
        route.datedBy = [try versionsRoute(id, engine: engine)]
        return route
    }

    /// A version's `.nuspec`.
    public func nuspecRoute(_ id: String, version: String, engine: Engine) throws -> Route {
        _ = try configuredUpstreams()
        let adapter = self
        var route = Route(ecosystem: ecosystem, key: "nuget/flat/\(id)/\(version)/\(id).nuspec", kind: .artifact, package: PackageRef(id, version: version), contentType: "application/xml") {
            try await adapter.flatSources("\(id)/\(version)/\(id).nuspec", engine: engine, verifier: NuspecVerifier())
        }
        route.datedBy = [try versionsRoute(id, engine: engine)]
        return route
    }

    /// A registration index, page or leaf, with the feed's URLs rewritten to Larder's.
    func registrationRoute(_ id: String, rest: [String], mountURL: String, engine: Engine) async throws -> Route {
        let upstreams = try configuredUpstreams()
        guard rest.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.count <= 200 }), rest.last?.hasSuffix(".json") == true else {
            throw LarderError.notFound("no registration document here: Larder serves /nuget/v3/registration/<id>/index.json and the pages and leaves it links")
        }
        let feeds = try await registrationFeeds(engine: engine)
        let path = ([id] + rest).map(URLPath.encodeSegment).joined(separator: "/")
        let bases = Dictionary(feeds.map { ($0.upstream.id, [($0.registrations, "\(mountURL)/v3/registration/"), ($0.flat, "\(mountURL)/v3-flatcontainer/")]) }, uniquingKeysWith: { a, _ in a })
        // An index or a page lists the package's versions; a leaf (`<version>.json`) is one.
        let leafVersion = rest.count == 1 && rest[0] != "index.json" ? String(rest[0].dropLast(".json".count)).lowercased() : nil
        var route = Route(ecosystem: ecosystem, key: "nuget/registration/\(path)", kind: .metadata, package: PackageRef(id, version: leafVersion), presenter: MetadataPresenter(variant: mountURL) { document in
            let rewritten = try NuGetDocuments.rewritten(document.body, replacing: bases[document.entry.upstream ?? ""] ?? [])
            return Presentation(body: try NuGetDocuments.filteredRegistration(rewritten, allowed: document.versions), contentType: "application/json")
        }) { [feeds] in
            try feeds.map { Source(request: try $0.upstream.request(url: $0.registrations + path)) }
        }
        route.validate = { body, _ in try NuGetDocuments.validateJSON(body, what: "registration document") }
        // Dated like the flat container's list, whose versions each leaf dates.
        route.datedBy = [try versionsRoute(id, engine: engine)]
        return route
    }
}

/// A `.nuspec` is kept only when it is XML with a `<package>` root.
struct NuspecVerifier: ArtifactVerifier {
    var algorithms: Set<Integrity.Algorithm> { [] }

    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: artifact.path)).read(upToCount: 4096)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard artifact.size <= 16 << 20, head.contains("<package") else {
            throw LarderError(.integrityMismatch, "upstream \(artifact.url) served something that is not a .nuspec (XML with a <package> root); not stored")
        }
        return .unverified("NuGet's V3 API promises no digest for a .nuspec; checked to be one")
    }
}
