public import Foundation

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
    /// Removes the entry for `key`, only if it still points at blob `digest` when one is given
    /// (so one process cannot delete the fresh entry another just stored); returns the removed
    /// entry.
    @discardableResult func remove(key: String, ifDigest digest: String?) async throws -> CacheEntry?
    /// Entries in key order after `key` (from the first when nil), at most `limit`: for walking the
    /// whole index in pages (`larder verify`).
    func entries(after key: String?, limit: Int) async throws -> [CacheEntry]
    /// Entries whose key starts with `prefix`, at most `limit` (a document's stored renderings).
    func entries(withKeyPrefix prefix: String, limit: Int) async throws -> [CacheEntry]
    /// Records the artifacts the document stored under `documentKey` with blob `digest` lists,
    /// replacing the links recorded for any other version of it; the first of two links with one
    /// name wins.
    func recordLinks(_ links: [ArtifactLink], documentKey: String, digest: String) async throws
    /// The link named `name` of the document stored under `documentKey` with blob `digest`.
    func link(named name: String, documentKey: String, digest: String) async throws -> RecordedLink
    /// How many entries point at blob `digest`.
    func references(toDigest digest: String) async throws -> Int
    /// Adds counter deltas to the persisted totals, per ecosystem.
    func addCounters(_ deltas: [String: EcosystemStats]) async throws
    /// Persisted counters plus object counts and sizes, per ecosystem.
    func stats() async throws -> [String: EcosystemStats]
}
