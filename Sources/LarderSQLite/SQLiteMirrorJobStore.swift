import Foundation
import GRDB
public import LarderMirror

/// Mirror jobs in the index database, so they survive restarts.
public struct SQLiteMirrorJobStore: MirrorJobStore {
    let pool: DatabasePool

    /// Keeps jobs in the same database as `index`.
    public init(index: SQLiteCacheIndex) {
        pool = index.pool
    }

    public func save(_ job: MirrorJob) async throws {
        let json = String(decoding: try JSONEncoder().encode(job), as: UTF8.self)
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO mirrorJob (id, createdAt, json) VALUES (?, ?, ?)", arguments: [job.id, job.createdAt, json])
        }
    }

    public func job(id: String) async throws -> MirrorJob? {
        let json = try await pool.read { db in try String.fetchOne(db, sql: "SELECT json FROM mirrorJob WHERE id = ?", arguments: [id]) }
        return try json.map { try JSONDecoder().decode(MirrorJob.self, from: Data($0.utf8)) }
    }

    public func jobs(limit: Int) async throws -> [MirrorJob] {
        let rows = try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM mirrorJob ORDER BY createdAt DESC, rowid DESC LIMIT ?", arguments: [limit])
        }
        return try rows.map { try JSONDecoder().decode(MirrorJob.self, from: Data($0.utf8)) }
    }
}
