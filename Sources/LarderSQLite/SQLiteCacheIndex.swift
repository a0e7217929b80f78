public import Foundation
import GRDB
public import LarderCore

/// The embedded cache index: a SQLite database in WAL mode, safe to share between a running
/// `larder serve` and other `larder` commands on the same data directory.
public final class SQLiteCacheIndex: CacheIndex {
    let pool: DatabasePool

    /// Opens (creating and migrating if needed) the index at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    /// Reads from the index; a database failure is Larder's storage failing, said as such.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(LarderError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.storageFailure(error)
        }
    }

    /// Writes to the index; a database failure is Larder's storage failing, said as such.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(LarderError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.storageFailure(error)
        }
    }

    /// A `storageFailed` error for a database error, with a hint for the failures an operator
    /// can fix (a file that cannot be opened: descriptors or permissions; a full disk).
    static func storageFailure(_ error: any Error) -> LarderError {
        if let error = error as? LarderError { return error }
        if error is CancellationError { return LarderError(.shuttingDown, "an index operation was cancelled") }
        var message = "the index database failed: \(error)"
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CANTOPEN: message += " (Larder may be out of file descriptors: \(LarderError.descriptorAdvice); or the data directory is not writable)"
            case .SQLITE_FULL: message += " (the disk is full)"
            case .SQLITE_BUSY: message += " (another process holds the database locked)"
            default: break
            }
        }
        return LarderError(.storageFailed, message)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "entry") { t in
                t.primaryKey("key", .text)
                t.column("ecosystem", .text).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("digest", .text).notNull().indexed()
                t.column("size", .integer).notNull()
                t.column("contentType", .text)
                t.column("etag", .text)
                t.column("lastModified", .text)
                t.column("sourceURL", .text).notNull()
                t.column("fetchedAt", .double).notNull()
                t.column("storedAt", .double).notNull()
            }
            try db.create(table: "counter") { t in
                t.primaryKey("ecosystem", .text)
                t.column("hits", .integer).notNull().defaults(to: 0)
                t.column("misses", .integer).notNull().defaults(to: 0)
                t.column("staleServed", .integer).notNull().defaults(to: 0)
                t.column("bytesServedFromCache", .integer).notNull().defaults(to: 0)
                t.column("bytesFetched", .integer).notNull().defaults(to: 0)
            }
        }
        migrator.registerMigration("v2-mirror-jobs") { db in
            try db.create(table: "mirrorJob") { t in
                t.primaryKey("id", .text)
                t.column("createdAt", .text).notNull().indexed()
                t.column("json", .text).notNull()
            }
        }
        migrator.registerMigration("v3-entry-upstream-headers-checksums") { db in
            try db.alter(table: "entry") { t in
                t.add(column: "upstream", .text)
                t.add(column: "headers", .text)
                t.add(column: "checksums", .text)
            }
        }
        migrator.registerMigration("v4-counter-corrupt-blobs") { db in
            try db.alter(table: "counter") { t in
                t.add(column: "corruptBlobs", .integer).notNull().defaults(to: 0)
            }
        }
        migrator.registerMigration("v5-artifact-links") { db in
            try db.create(table: "linkSet") { t in
                t.primaryKey("documentKey", .text)
                t.column("digest", .text).notNull()
            }
            try db.create(table: "link") { t in
                t.column("documentKey", .text).notNull()
                t.column("name", .text).notNull()
                t.column("url", .text).notNull()
                t.column("integrity", .text)
                t.primaryKey(["documentKey", "name"])
            }
        }
        migrator.registerMigration("v6-access-tokens") { db in
            try db.create(table: "accessToken") { t in
                t.primaryKey("name", .text)
                t.column("role", .text).notNull()
                t.column("secretHash", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
                t.column("revokedAt", .datetime)
            }
        }
        migrator.registerMigration("v7-package-rules") { db in
            try db.create(table: "packageRule") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("action", .text).notNull()
                t.column("ecosystem", .text).notNull()
                t.column("name", .text).notNull()
                t.column("versions", .text)
                t.column("packageURL", .text).notNull()
                t.column("note", .text).notNull()
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(index: "packageRuleByPackage", on: "packageRule", columns: ["ecosystem", "name"])
            try db.create(table: "policyAudit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("time", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("change", .text).notNull()
                t.column("action", .text).notNull()
                t.column("ruleID", .integer).notNull()
                t.column("packageURL", .text).notNull()
                t.column("note", .text).notNull()
            }
            try db.create(table: "policyGeneration") { t in
                t.primaryKey("id", .integer)
                t.column("generation", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO policyGeneration (id, generation) VALUES (1, 0)")
        }
        migrator.registerMigration("v8-version-history") { db in
            try db.create(table: "versionSeen") { t in
                t.column("ecosystem", .text).notNull()
                t.column("name", .text).notNull()
                t.column("version", .text).notNull()
                t.column("published", .datetime)
                t.column("firstSeen", .datetime).notNull()
                t.column("baseline", .boolean).notNull()
                t.primaryKey(["ecosystem", "name", "version"])
            }
        }
        return migrator
    }

    public func entry(forKey key: String) async throws -> CacheEntry? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM entry WHERE key = ?", arguments: [key]).map(Self.entry(from:))
        }
    }

    public func put(_ entry: CacheEntry) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO entry (key, ecosystem, kind, digest, size, contentType, etag, lastModified, sourceURL, fetchedAt, storedAt, upstream, headers, checksums)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.key, entry.ecosystem, entry.kind.rawValue, entry.digest, entry.size, entry.contentType, entry.etag,
                    entry.lastModified, entry.sourceURL, entry.fetchedAt.timeIntervalSince1970, entry.storedAt.timeIntervalSince1970,
                    entry.upstream, Self.json(entry.headers), Self.json(Dictionary(uniqueKeysWithValues: entry.checksums.map { ($0.key.rawValue, $0.value) })),
                ])
        }
    }

    public func touch(key: String, fetchedAt: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE entry SET fetchedAt = ? WHERE key = ?", arguments: [fetchedAt.timeIntervalSince1970, key])
        }
    }

    @discardableResult
    public func remove(key: String, ifDigest digest: String?) async throws -> CacheEntry? {
        try await write { db in
            guard let existing = try Row.fetchOne(db, sql: "SELECT * FROM entry WHERE key = ?", arguments: [key]).map(Self.entry(from:)) else { return nil }
            if let digest, existing.digest != digest { return nil }
            try db.execute(sql: "DELETE FROM entry WHERE key = ? AND digest = ?", arguments: [key, existing.digest])
            return existing
        }
    }

    public func entries(after key: String?, limit: Int) async throws -> [CacheEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM entry WHERE key > ? ORDER BY key LIMIT ?", arguments: [key ?? "", limit]).map(Self.entry(from:))
        }
    }

    public func entries(withKeyPrefix prefix: String, limit: Int) async throws -> [CacheEntry] {
        try await read { db in
            // A range on the primary key: every key that starts with the prefix sorts between
            // the prefix and the prefix followed by the largest character.
            try Row.fetchAll(
                db, sql: "SELECT * FROM entry WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
                arguments: [prefix, prefix + "\u{10FFFF}", limit]
            ).map(Self.entry(from:))
        }
    }

    public func recordLinks(_ links: [ArtifactLink], documentKey: String, digest: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM link WHERE documentKey = ?", arguments: [documentKey])
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO link (documentKey, name, url, integrity) VALUES (?, ?, ?, ?)")
            for link in links {
                try insert.execute(arguments: [documentKey, link.name, link.url, link.integrity?.description])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO linkSet (documentKey, digest) VALUES (?, ?)", arguments: [documentKey, digest])
        }
    }

    public func link(named name: String, documentKey: String, digest: String) async throws -> RecordedLink {
        try await read { db in
            guard try String.fetchOne(db, sql: "SELECT digest FROM linkSet WHERE documentKey = ?", arguments: [documentKey]) == digest else {
                return .notRecorded
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT url, integrity FROM link WHERE documentKey = ? AND name = ?", arguments: [documentKey, name]) else {
                return .absent
            }
            let integrity = (row["integrity"] as String?).flatMap(Integrity.init(description:))
            return .found(ArtifactLink(name: name, url: row["url"], integrity: integrity))
        }
    }

    public func references(toDigest digest: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry WHERE digest = ?", arguments: [digest]) ?? 0
        }
    }

    public func addCounters(_ deltas: [String: EcosystemStats]) async throws {
        try await write { db in
            for (ecosystem, d) in deltas {
                try db.execute(
                    sql: """
                        INSERT INTO counter (ecosystem, hits, misses, staleServed, bytesServedFromCache, bytesFetched, corruptBlobs) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(ecosystem) DO UPDATE SET hits = hits + excluded.hits, misses = misses + excluded.misses,
                          staleServed = staleServed + excluded.staleServed,
                          bytesServedFromCache = bytesServedFromCache + excluded.bytesServedFromCache,
                          bytesFetched = bytesFetched + excluded.bytesFetched,
                          corruptBlobs = corruptBlobs + excluded.corruptBlobs
                        """,
                    arguments: [ecosystem, d.hits, d.misses, d.staleServed, d.bytesServedFromCache, d.bytesFetched, d.corruptBlobs])
            }
        }
    }

    public func stats() async throws -> [String: EcosystemStats] {
        try await read { db in
            var result: [String: EcosystemStats] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM counter") {
                var s = EcosystemStats()
                s.hits = row["hits"]
                s.misses = row["misses"]
                s.staleServed = row["staleServed"]
                s.bytesServedFromCache = row["bytesServedFromCache"]
                s.bytesFetched = row["bytesFetched"]
                s.corruptBlobs = row["corruptBlobs"]
                result[row["ecosystem"]] = s
            }
            for row in try Row.fetchAll(db, sql: "SELECT ecosystem, COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM entry GROUP BY ecosystem") {
                let ecosystem: String = row["ecosystem"]
                result[ecosystem, default: EcosystemStats()].objects = row["n"]
                result[ecosystem, default: EcosystemStats()].storedBytes = row["bytes"]
            }
            return result
        }
    }

    static func entry(from row: Row) -> CacheEntry {
        CacheEntry(
            key: row["key"], ecosystem: row["ecosystem"], kind: Route.Kind(rawValue: row["kind"]) ?? .artifact, digest: row["digest"],
            size: row["size"], contentType: row["contentType"], etag: row["etag"], lastModified: row["lastModified"],
            sourceURL: row["sourceURL"], fetchedAt: Date(timeIntervalSince1970: row["fetchedAt"]),
            storedAt: Date(timeIntervalSince1970: row["storedAt"]), upstream: row["upstream"],
            headers: decode(row["headers"]),
            checksums: Dictionary(uniqueKeysWithValues: decode(row["checksums"]).compactMap { key, value in
                Integrity.Algorithm(rawValue: key).map { ($0, value) }
            }))
    }

    private static func json(_ map: [String: String]) -> String? {
        guard !map.isEmpty, let data = try? JSONEncoder().encode(map) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func decode(_ text: String?) -> [String: String] {
        guard let text, let map = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return map
    }
}
