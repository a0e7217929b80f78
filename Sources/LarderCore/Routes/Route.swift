public import NIOCore

/// What an ecosystem adapter tells the engine about one request: which cache entry answers it,
/// where that entry may come from on a miss (in order of preference) and how it is verified,
/// which headers belong to it, how stored metadata is presented to the client, and whether a
/// hit must be confirmed upstream first. The engine does everything else.
public struct Route: Sendable {
    /// How the engine treats the entry.
    public enum Kind: String, Sendable {
        /// Changes upstream: cached with a TTL, revalidated, served stale when upstream is down.
        case metadata
        /// Immutable: verified, committed once, never expires.
        case artifact
        /// Not cached: forwarded to upstream as is.
        case passthrough
    }

    /// The ecosystem's Package URL type (`pypi`, `npm`), used for statistics.
    public var ecosystem: String
    /// The cache key; unique across ecosystems (adapters prefix it with their ecosystem).
    public var key: String
    /// The package (and version) the request is about, where the adapter knows it: named in
    /// access log lines, and what policy rules are checked against.
    public var package: PackageRef?
    /// How the entry is cached.
    public var kind: Kind
    /// Resolves, on a miss, where the entry may come from: tried in order, a 404 or an
    /// unreachable upstream moves on to the next, the first that has it wins. It may consult
    /// metadata (an artifact's URL and digest are in its package's metadata).
    public var sources: @Sendable () async throws -> [Source]
    /// For metadata: turns the stored upstream document into the client's answer. Without one,
    /// the document is served as stored, streamed from disk when large.
    public var presenter: MetadataPresenter?
    /// For metadata served as stored (no presenter): the document without the versions its
    /// `versions` filter refuses. When the package rules hide some of the package's versions
    /// the engine serves this cut instead, made once per document and rule set like a rendering.
    public var filterVersions: (@Sendable (MetadataDocument) throws -> ByteBuffer)?
    /// For metadata listing many packages' versions (RubyGems' global `versions` file): the
    /// document without the versions the package rules refuse, given each package's filter
    /// (by name). When rules touch the ecosystem the engine serves this cut, made once per
    /// document and rule set. Cooldowns do not apply to such documents.
    public var filterPackages: (@Sendable (MetadataDocument, _ versions: @Sendable (String) -> VersionFilter) throws -> ByteBuffer)?
    /// For metadata: the versions of `package` the document lists with their publish times,
    /// for ecosystems whose metadata carries them (cooldowns age versions by them).
    public var versionDates: (@Sendable (MetadataDocument) throws -> [VersionDate])?
    /// For metadata without dates of its own, and for artifacts: the documents that date the
    /// route's versions, asked in order until the version is known (npm's abbreviated documents
    /// and tarballs are dated by the full package document; a Go module's files by its version
    /// list, then by the version's own `.info`). A cooldown reads them when it meets a version
    /// it has not seen listed yet, so that a client fetching straight from a lockfile is not
    /// refused for want of a date.
    public var datedBy: [Route] = []
    /// For metadata that lists versions without their dates (Go's version list): the versions
    /// of `package` the document lists. With `versionDater`, a cooldown dates each version it
    /// has not recorded yet from that version's own document.
    public var listedVersions: (@Sendable (MetadataDocument) throws -> [String])?
    /// For metadata with `listedVersions`: the route of the document that dates one version (its
    /// `versionDates` give the date), or nil when the version cannot be dated that way.
    public var versionDater: (@Sendable (String) -> Route?)?
    /// The content type of the answer; nil serves the type upstream gave.
    public var contentType: String?
    /// Upstream response headers (lower-case names) kept with the entry and sent with every
    /// answer from it (`docker-content-digest`).
    public var storedHeaders: [String] = []
    /// Headers added to every successful answer.
    public var headers: [(String, String)] = []
    /// For metadata: a `204 No Content` answer is a document too (an empty one, with the
    /// `storedHeaders` it came with), for protocols that answer in headers.
    public var acceptsNoContent = false
    /// For metadata: upstream headers (lower-case names) without which an answer is not a
    /// document of its kind; such an answer never replaces the stored copy.
    public var requiredHeaders: [String] = []
    /// For metadata served as stored: the ETag is this digest of the body, quoted hex, instead of
    /// Larder's own (SHA-256), for clients that check the tag against the body (Bundler's
    /// compact index client wants MD5).
    public var etagAlgorithm: Integrity.Algorithm?
    /// For metadata: checks that a fetched document is one of its format (a login page is not a
    /// project page) before it may replace the stored copy; a throw makes the answer an upstream
    /// failure, so the stored copy stays and is served stale. Given the body and the upstream's
    /// content type.
    public var validate: (@Sendable (ByteBuffer, String?) throws -> Void)?
    /// For metadata: the artifacts a document lists. The engine records them when it stores the
    /// document (and for a document stored before it could), so that `Engine.artifactLink`
    /// answers a miss from the index.
    public var links: (@Sendable (MetadataDocument) throws -> [ArtifactLink])?
    /// For metadata: the memory validating, reading links from or rendering the document needs,
    /// as a multiple of its size (a parsed tree costs about twelve times the document; a
    /// streaming reader about three). It is reserved from the metadata memory budget meanwhile.
    public var parseMemoryFactor: Int64 = 12
    /// For artifacts: the SHA-256 (lower-case hex) the client or the mirror declared for the
    /// file. A download must have it, and a stored copy with another digest is not served: the
    /// request fails with `conflict`, and the stored copy stays.
    public var declaredSHA256: String?
    /// Asked before an artifact is served from the cache; `.replace` discards the cached copy
    /// and fetches it anew. The engine bounds the wait (`hitCheckTimeout`) and serves the cached
    /// copy when the check does not finish in time.
    public var hitCheck: (@Sendable (CacheEntry) async -> HitDecision)?
    /// Set once the engine has fitted the route to the requester's grant (`Engine.scoped`): the
    /// view tag its key carries, "" for the public view.
    var view: String?

    /// Creates a route.
    public init(
        ecosystem: String,
        key: String,
        kind: Kind,
        package: PackageRef? = nil,
        contentType: String? = nil,
        presenter: MetadataPresenter? = nil,
        sources: @escaping @Sendable () async throws -> [Source]
    ) {
        self.ecosystem = ecosystem
        self.key = key
        self.kind = kind
        self.package = package
        self.contentType = contentType
        self.presenter = presenter
        self.sources = sources
    }
}

/// What a hit check decided.
public enum HitDecision: Sendable, Equatable {
    /// The cached copy is current: serve it.
    case serve
    /// Upstream has different content now: discard the cached copy and fetch it anew.
    case replace
}
