import NIOCore

/// What an ecosystem adapter tells the engine about one request: which cache entry answers it,
/// how to fetch that entry from upstream on a miss, what it must hash to, and how stored
/// metadata is presented to the client. The engine does everything else.
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
    /// How the entry is cached.
    public var kind: Kind
    /// Resolves, on a miss, where the entry comes from and what it must hash to. It may
    /// consult metadata (an artifact's URL and digest are in its package's metadata).
    public var origin: @Sendable () async throws -> Origin
    /// For metadata: turns the stored upstream document into the client's answer.
    public var presenter: MetadataPresenter?
    /// The content type of an artifact.
    public var contentType: String

    /// Creates a route.
    public init(
        ecosystem: String,
        key: String,
        kind: Kind,
        contentType: String = "application/octet-stream",
        presenter: MetadataPresenter? = nil,
        origin: @escaping @Sendable () async throws -> Origin
    ) {
        self.ecosystem = ecosystem
        self.key = key
        self.kind = kind
        self.contentType = contentType
        self.presenter = presenter
        self.origin = origin
    }
}

/// Where a cache entry comes from.
public struct Origin: Sendable {
    /// The upstream request to make.
    public var request: UpstreamRequest
    /// The digest the registry promised, checked before an artifact is committed.
    public var integrity: Integrity?

    /// Creates an origin.
    public init(request: UpstreamRequest, integrity: Integrity? = nil) {
        self.request = request
        self.integrity = integrity
    }
}

/// Turns a stored metadata document into the bytes a particular client gets: rewrites links so
/// they point back at Larder, picks the representation the client asked for.
public struct MetadataPresenter: Sendable {
    /// Distinguishes presentations of the same document (content type, base URL), so the engine
    /// can keep rendered answers in memory and give each one its own ETag.
    public var variant: String
    /// Renders the document.
    public var render: @Sendable (MetadataDocument) throws -> Presentation

    /// Creates a presenter.
    public init(variant: String, render: @escaping @Sendable (MetadataDocument) throws -> Presentation) {
        self.variant = variant
        self.render = render
    }
}

/// A rendered metadata answer.
public struct Presentation: Sendable {
    /// The body sent to the client.
    public var body: ByteBuffer
    /// Its content type.
    public var contentType: String

    /// Creates a presentation.
    public init(body: ByteBuffer, contentType: String) {
        self.body = body
        self.contentType = contentType
    }
}

/// A metadata document as stored: the upstream's bytes and how it described them.
public struct MetadataDocument: Sendable {
    /// The upstream's body, unchanged.
    public var body: ByteBuffer
    /// The upstream's content type.
    public var contentType: String?
    /// The URL the document was fetched from (relative links resolve against it).
    public var sourceURL: String
    /// The entry that holds it.
    public var entry: CacheEntry
    /// True when upstream could not be reached to revalidate an expired copy.
    public var isStale: Bool
    /// How the engine obtained it.
    public var source: Source

    /// How a document was obtained.
    public enum Source: Sendable, Equatable {
        /// From the cache, within its TTL.
        case cache
        /// From the cache, after upstream confirmed it unchanged.
        case revalidated
        /// Freshly downloaded.
        case fetched
        /// From the cache, past its TTL, because upstream could not be asked.
        case stale
    }

    /// Creates a document.
    public init(body: ByteBuffer, contentType: String?, sourceURL: String, entry: CacheEntry, isStale: Bool, source: Source) {
        self.body = body
        self.contentType = contentType
        self.sourceURL = sourceURL
        self.entry = entry
        self.isStale = isStale
        self.source = source
    }
}
