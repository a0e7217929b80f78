public import Foundation
import GRDB
public import LarderPolicy

/// Version histories (first sightings and upstream publish times) in the index database.
public struct SQLiteVersionHistoryStore: VersionHistoryStore {
    let pool: DatabasePool

    /// Keeps histories in the same database as `index`.
    public init(index: SQLiteCacheIndex) {
        pool = index.pool
    }

    public func histories(ecosystem: String, name: String) async throws -> [String: VersionHistory] {
        try await pool.read { db in try Self.histories(db, ecosystem: ecosystem, name: name) }
    }

    public func record(ecosystem: String, name: String, _ versions: [(version: String, published: Date?)], now: Date) async throws -> [String: VersionHistory] {
        try await pool.write { db in
            var known = try Self.histories(db, ecosystem: ecosystem, name: name)
            let baseline = known.isEmpty
            for (version, published) in versions where known[version] == nil {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO versionSeen (ecosystem, name, version, published, firstSeen, baseline) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [ecosystem, name, version, published, now, baseline])
                known[version] = VersionHistory(published: published, firstSeen: now, baseline: baseline)
            }
            return known
        }
    }

    private static func histories(_ db: Database, ecosystem: String, name: String) throws -> [String: VersionHistory] {
        var out: [String: VersionHistory] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT version, published, firstSeen, baseline FROM versionSeen WHERE ecosystem = ? AND name = ?", arguments: [ecosystem, name]) {
            out[row["version"]] = VersionHistory(published: row["published"], firstSeen: row["firstSeen"], baseline: row["baseline"])
        }
        return out
    }
}
