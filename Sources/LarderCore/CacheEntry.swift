import Foundation
import NIOCore

/// One cached object in the index: which key it answers, which blob holds it, and what the
/// engine needs to know to serve and revalidate it.
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

    /// Creates an entry.
    public init(key: String, ecosystem: String, kind: Route.Kind, digest: String, size: Int64, contentType: String?, etag: String?, lastModified: String?, sourceURL: String, fetchedAt: Date, storedAt: Date) {
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
    }
}

/// Totals for one ecosystem, as the index and the live counters know them.
public struct EcosystemStats: Sendable, Codable, Equatable {
    /// Requests answered from the cache.
    public var hits: Int64 = 0
    /// Requests that needed upstream.
    public var misses: Int64 = 0
    /// Metadata answers served stale because upstream was down.
    public var staleServed: Int64 = 0
    /// Bytes sent to clients from the cache.
    public var bytesServedFromCache: Int64 = 0
    /// Bytes downloaded from upstream.
    public var bytesFetched: Int64 = 0
    /// Objects stored.
    public var objects: Int64 = 0
    /// Bytes stored.
    public var storedBytes: Int64 = 0

    /// Zero totals.
    public init() {}

    /// Adds another set of counters to these.
    public mutating func add(_ other: EcosystemStats) {
        hits += other.hits
        misses += other.misses
        staleServed += other.staleServed
        bytesServedFromCache += other.bytesServedFromCache
        bytesFetched += other.bytesFetched
        objects += other.objects
        storedBytes += other.storedBytes
    }
}

/// The cache index: which key maps to which blob, with freshness data, and the persisted
/// counters. The embedded default is SQLite; a scale-out deployment uses PostgreSQL.
/// Implementations must be safe to share between several processes using the same store.
public protocol CacheIndex: Sendable {
    /// The entry for `key`, if any.
    func entry(forKey key: String) async throws -> CacheEntry?
    /// Stores or replaces the entry for `entry.key`.
    func put(_ entry: CacheEntry) async throws
    /// Marks an entry as revalidated now (upstream answered 304).
    func touch(key: String, fetchedAt: Date) async throws
    /// Removes the entry for `key`; returns it if there was one.
    @discardableResult func remove(key: String) async throws -> CacheEntry?
    /// How many entries point at blob `digest`.
    func references(toDigest digest: String) async throws -> Int
    /// Adds counter deltas to the persisted totals, per ecosystem.
    func addCounters(_ deltas: [String: EcosystemStats]) async throws
    /// Persisted counters plus object counts and sizes, per ecosystem.
    func stats() async throws -> [String: EcosystemStats]
}

/// Content-addressed storage for cached bytes. The embedded default is a directory of files;
/// a scale-out deployment uses S3-compatible object storage. Blobs are written by staging them
/// to a local file first (the engine hashes and verifies there), then ingesting the file.
public protocol BlobStore: Sendable {
    /// A new local file path to stage a download in. It is removed at start-up if left behind.
    func makeStagingPath() throws -> String
    /// Moves a fully written, verified staging file into the store under `digest`.
    func ingest(stagingPath: String, digest: String) async throws
    /// Size of blob `digest`, or nil when it is not stored.
    func size(ofDigest digest: String) async throws -> Int64?
    /// Reads blob `digest` in chunks of about `chunkSize` bytes; nil when it is not stored.
    func read(digest: String, chunkSize: Int) async throws -> ByteChunks?
    /// Reads a whole blob into memory, for small objects only; nil when it is not stored.
    func readAll(digest: String, maxSize: Int) async throws -> ByteBuffer?
    /// Deletes blob `digest` if stored.
    func delete(digest: String) async throws
    /// Removes staging files left over by a crash.
    func removeLeftovers() throws -> Int
    /// Waits until no other process sharing the store is filling `key`, and holds that right
    /// until the lock is released, so that processes sharing a store download a key once.
    func lockFill(key: String) async throws -> any FillLock
}

/// The right to fill one key, across processes sharing a store.
public protocol FillLock: Sendable {
    /// Gives the right up.
    func release()
}
