public import Foundation
import GRDB
public import LarderCore
public import LarderPolicy

/// Package rules and their audit log in the index database.
public struct SQLitePolicyStore: PolicyStore {
    let pool: DatabasePool

    /// Keeps rules in the same database as `index`.
    public init(index: SQLiteCacheIndex) {
        pool = index.pool
    }

    public func rules() async throws -> [PackageRule] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM packageRule ORDER BY id").compactMap(Self.rule) }
    }

    public func add(_ rule: PackageRule, actor: String) async throws -> PackageRule {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO packageRule (action, ecosystem, name, versions, packageURL, note, createdBy, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [rule.action.rawValue, rule.ecosystem, rule.name, rule.versions, rule.packageURL, rule.note, rule.createdBy, rule.createdAt, rule.updatedAt])
            var stored = rule
            stored.id = db.lastInsertedRowID
            try Self.audit(db, .added, stored, actor: actor, note: stored.note, at: stored.createdAt)
            return stored
        }
    }

    public func amend(id: Int64, note: String, actor: String) async throws -> PackageRule? {
        try await pool.write { db in
            guard var rule = try Row.fetchOne(db, sql: "SELECT * FROM packageRule WHERE id = ?", arguments: [id]).flatMap(Self.rule) else { return nil }
            rule.note = note
            rule.updatedAt = Date()
            try db.execute(sql: "UPDATE packageRule SET note = ?, updatedAt = ? WHERE id = ?", arguments: [note, rule.updatedAt, id])
            try Self.audit(db, .amended, rule, actor: actor, note: note, at: rule.updatedAt)
            return rule
        }
    }

    public func remove(id: Int64, note: String, actor: String) async throws -> PackageRule? {
        try await pool.write { db in
            guard let rule = try Row.fetchOne(db, sql: "SELECT * FROM packageRule WHERE id = ?", arguments: [id]).flatMap(Self.rule) else { return nil }
            try db.execute(sql: "DELETE FROM packageRule WHERE id = ?", arguments: [id])
            try Self.audit(db, .removed, rule, actor: actor, note: note, at: Date())
            return rule
        }
    }

    public func recordPurge(of rule: PackageRule, actor: String, note: String) async throws {
        try await pool.write { db in try Self.audit(db, .purged, rule, actor: actor, note: note, at: Date()) }
    }

    public func auditLog(limit: Int) async throws -> [PolicyAuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM policyAudit ORDER BY id DESC LIMIT ?", arguments: [limit]).compactMap { row in
                guard let change = PolicyAuditEntry.Change(rawValue: row["change"]), let action = PackageRule.Action(rawValue: row["action"]) else { return nil }
                return PolicyAuditEntry(time: row["time"], actor: row["actor"], change: change, action: action, ruleID: row["ruleID"], packageURL: row["packageURL"], note: row["note"])
            }
        }
    }

    public func generation() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT generation FROM policyGeneration WHERE id = 1") ?? 0 }
    }

    /// Writes an audit entry and moves the generation, in the change's transaction.
    private static func audit(_ db: Database, _ change: PolicyAuditEntry.Change, _ rule: PackageRule, actor: String, note: String, at time: Date) throws {
        try db.execute(
            sql: "INSERT INTO policyAudit (time, actor, change, action, ruleID, packageURL, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [time, actor, change.rawValue, rule.action.rawValue, rule.id, rule.packageURL, note])
        try db.execute(sql: "UPDATE policyGeneration SET generation = generation + 1 WHERE id = 1")
    }

    private static func rule(_ row: Row) -> PackageRule? {
        guard let action = PackageRule.Action(rawValue: row["action"]) else { return nil }
        return PackageRule(
            id: row["id"], action: action, ecosystem: row["ecosystem"], name: row["name"], versions: row["versions"], packageURL: row["packageURL"], note: row["note"],
            createdBy: row["createdBy"], createdAt: row["createdAt"], updatedAt: row["updatedAt"])
    }
}
