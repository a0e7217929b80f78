/// What an ecosystem adapter tells the mirror about a package: which metadata documents clients
/// need to install it offline, and which versions exist with which artifacts. The mirror plans
/// with this and fills through the same routes as on-demand requests, so a mirrored artifact
/// is byte for byte what a client request would have stored.
public protocol PackageCatalog: Sendable {
    /// The Package URL type the catalog describes (`pypi`, `npm`).
    var ecosystem: String { get }
    /// The metadata routes clients read to install `package` (project pages, package documents).
    func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route]
    /// The package's releases with their artifacts, read from its (cached or fetched) metadata.
    func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease]
    /// Parses a version range in the ecosystem's own syntax (npm `^4.17`, PyPI `>=2,<3`);
    /// throws a 400-class error that says what is wrong.
    func versionRange(_ text: String) throws -> VersionRange
    /// One release by its exact version, or nil when upstream has no such version (the text may
    /// then be a range). The default looks it up in `releases`; an ecosystem that can name a
    /// release's files without listing every version (Maven) answers directly.
    func release(of package: CatalogPackage, version: String, engine: Engine) async throws -> CatalogRelease?
    /// Artifacts a client needs besides a selected release's own to install it offline (Maven's
    /// parent POMs); none by default.
    func companions(of release: CatalogRelease, package: CatalogPackage, engine: Engine) async throws -> [CatalogArtifact]
    /// The package's name as the ecosystem's routes give it in `Route.package` (namespace and
    /// name joined by `/`, normalised as the registry does), so that package rules match
    /// requests. The default joins them as they are.
    func routeName(of package: CatalogPackage) -> String
    /// Whether the ecosystem's metadata says when each version was published (its routes give
    /// `versionDates`): only then do cooldowns hold its versions back. False by default.
    var versionsCarryDates: Bool { get }
}

extension PackageCatalog {
    public func release(of package: CatalogPackage, version: String, engine: Engine) async throws -> CatalogRelease? {
        let releases = try await releases(of: package, engine: engine)
        return releases.first { $0.version == version } ?? releases.first { $0.version.lowercased() == version.lowercased() }
    }

    public func companions(of release: CatalogRelease, package: CatalogPackage, engine: Engine) async throws -> [CatalogArtifact] { [] }

    public var versionsCarryDates: Bool { false }

    public func routeName(of package: CatalogPackage) -> String { package.namespace.map { "\($0)/\(package.name)" } ?? package.name }
}

/// A set of versions, as an ecosystem's range syntax describes it.
public struct VersionRange: Sendable {
    private let test: @Sendable (String) -> Bool

    /// Creates a range from a membership test.
    public init(_ test: @escaping @Sendable (String) -> Bool) { self.test = test }

    /// Whether `version` is in the range.
    public func contains(_ version: String) -> Bool { test(version) }
}

/// A package, as a package URL names it.
public struct CatalogPackage: Sendable, Hashable, CustomStringConvertible {
    /// The namespace (npm scope with `@`), if any.
    public var namespace: String?
    /// The name.
    public var name: String
    /// Package URL qualifiers that select artifacts (Maven's `classifier` and `type`).
    public var qualifiers: [String: String]

    /// Creates a package reference.
    public init(namespace: String?, name: String, qualifiers: [String: String] = [:]) {
        self.namespace = namespace
        self.name = name
        self.qualifiers = qualifiers
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// One version of a package.
public struct CatalogRelease: Sendable {
    /// The version, as the registry spells it.
    public var version: String
    /// Whether the registry withdrew it (yanked, deprecated past use); whole-package mirroring
    /// skips such versions, an exact pin still fetches them.
    public var withdrawn: Bool
    /// Its files.
    public var artifacts: [CatalogArtifact]

    /// Creates a release.
    public init(version: String, withdrawn: Bool = false, artifacts: [CatalogArtifact]) {
        self.version = version
        self.withdrawn = withdrawn
        self.artifacts = artifacts
    }
}

/// One file of a release.
public struct CatalogArtifact: Sendable {
    /// The file name.
    public var filename: String
    /// Its size when the metadata gives it.
    public var size: Int64?
    /// The route that fetches and stores it.
    public var route: Route
    /// Whether upstream may lack it (a checksum file): its absence is reported, not a failure.
    public var optional: Bool

    /// Creates an artifact reference.
    public init(filename: String, size: Int64?, route: Route, optional: Bool = false) {
        self.filename = filename
        self.size = size
        self.route = route
        self.optional = optional
    }
}
