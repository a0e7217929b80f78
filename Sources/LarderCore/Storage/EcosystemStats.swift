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
    /// Stored blobs found damaged (wrong size or digest) and quarantined.
    public var corruptBlobs: Int64 = 0

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
        corruptBlobs += other.corruptBlobs
    }
}
