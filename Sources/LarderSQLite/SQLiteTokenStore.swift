public import Foundation
import GRDB
public import LarderCore

/// Access tokens in the index database: names, roles and the SHA-256 of each secret.
public struct SQLiteTokenStore: TokenStore {
    let pool: DatabasePool

    /// Keeps tokens in the same database as `index`.
    public init(index: SQLiteCacheIndex) {
        pool = index.pool
    }

    public func create(_ token: AccessToken, secretHash: String) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM accessToken WHERE name = ?", arguments: [token.name]) == true {
                throw LarderError(.conflict, "a token named '\(token.name)' exists already; revoke it first or choose another name")
            }
            try db.execute(
                sql: "INSERT INTO accessToken (name, role, secretHash, createdAt, revokedAt) VALUES (?, ?, ?, ?, NULL)",
                arguments: [token.name, token.role.rawValue, secretHash, token.createdAt])
        }
    }

    public func tokens() async throws -> [AccessToken] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, role, createdAt, revokedAt FROM accessToken ORDER BY name").compactMap(Self.token)
        }
    }

    public func revoke(name: String, at date: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE accessToken SET revokedAt = ? WHERE name = ? AND revokedAt IS NULL", arguments: [date, name])
            return db.changesCount > 0
        }
    }

    public func token(secretHash: String) async throws -> AccessToken? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, role, createdAt, revokedAt FROM accessToken WHERE secretHash = ?", arguments: [secretHash]).flatMap(Self.token)
        }
    }

    private static func token(_ row: Row) -> AccessToken? {
        guard let role = AccessRole(rawValue: row["role"]) else { return nil }
        return AccessToken(name: row["name"], role: role, createdAt: row["createdAt"], revokedAt: row["revokedAt"])
    }
}
