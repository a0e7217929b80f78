public import Foundation

/// One cached object in the index: which key it answers, which blob holds it, where it came
/// from, and what the engine needs to know to serve and revalidate it.
public struct CacheEntry: Sendable, Equatable {
    /// The route's cache key.
    public var key: String
    /// The ecosystem (Package URL type) it belongs to.
    public var ecosystem: String
    /// Metadata or artifact.
    public var kind: Route.Kind
    /// SHA-256 of the stored bytes, lower-case hex: the blob's address.
    public var digest: String
    /// Size in bytes.
    public var size: Int64
    /// The upstream's content type.
    public var contentType: String?
    /// The upstream's ETag, for revalidation.
    public var etag: String?
    /// The upstream's Last-Modified, for revalidation.
    public var lastModified: String?
    /// Where it was fetched from (credentials removed).
    public var sourceURL: String
    /// When it was last fetched or revalidated.
    public var fetchedAt: Date
    /// When the blob was first stored.
    public var storedAt: Date
    /// The upstream it came from (`Upstream.id`), when known.
    public var upstream: String?
    /// Upstream response headers the route keeps with the entry, by lower-case name.
    public var headers: [String: String]
    /// Digests besides SHA-256 computed when the bytes were stored (to answer checksum requests
    /// and coherence checks without re-reading the blob).
    public var checksums: [Integrity.Algorithm: String]

    /// Creates an entry.
    public init(
        key: String, ecosystem: String, kind: Route.Kind, digest: String, size: Int64, contentType: String?, etag: String?,
        lastModified: String?, sourceURL: String, fetchedAt: Date, storedAt: Date, upstream: String? = nil,
        headers: [String: String] = [:], checksums: [Integrity.Algorithm: String] = [:]
    ) {
        self.key = key
        self.ecosystem = ecosystem
        self.kind = kind
        self.digest = digest
        self.size = size
        self.contentType = contentType
        self.etag = etag
        self.lastModified = lastModified
        self.sourceURL = sourceURL
        self.fetchedAt = fetchedAt
        self.storedAt = storedAt
        self.upstream = upstream
        self.headers = headers
        self.checksums = checksums
    }
}
