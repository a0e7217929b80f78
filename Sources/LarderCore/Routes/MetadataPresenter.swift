public import NIOCore

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
    public var provenance: Provenance
    /// The versions of the document's package a rendering may list, by the package rules:
    /// presenters leave the others out (and move pointers such as `latest` off them).
    public var versions: VersionFilter = .everything

    /// How a document was obtained.
    public enum Provenance: Sendable, Equatable {
        /// From the cache, within its TTL.
        case cache
        /// From the cache, after upstream confirmed it unchanged.
        case revalidated
        /// Freshly downloaded.
        case fetched
        /// From the cache, past its TTL, because upstream could not be asked.
        case stale
    }

    /// The document `entry` holds, with `body` its bytes, obtained as `provenance` says.
    init(_ body: ByteBuffer, of entry: CacheEntry, provenance: Provenance) {
        self.init(body: body, contentType: entry.contentType, sourceURL: entry.sourceURL, entry: entry, isStale: provenance == .stale, provenance: provenance)
    }

    /// Creates a document.
    public init(body: ByteBuffer, contentType: String?, sourceURL: String, entry: CacheEntry, isStale: Bool, provenance: Provenance) {
        self.body = body
        self.contentType = contentType
        self.sourceURL = sourceURL
        self.entry = entry
        self.isStale = isStale
        self.provenance = provenance
    }
}
