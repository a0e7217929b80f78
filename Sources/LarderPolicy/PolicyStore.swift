/// Where package rules and their audit log are kept (the index database). Every change writes
/// its audit entry in the same transaction, and advances a generation that serving processes
/// watch to reload their rules.
public protocol PolicyStore: Sendable {
    /// Every rule, oldest first.
    func rules() async throws -> [PackageRule]
    /// Stores `rule` (its `id` is assigned) with its audit entry; returns the stored rule.
    func add(_ rule: PackageRule, actor: String) async throws -> PackageRule
    /// Replaces rule `id`'s note; nil when there is no such rule.
    func amend(id: Int64, note: String, actor: String) async throws -> PackageRule?
    /// Removes rule `id`, recording `note` as why; nil when there is no such rule.
    func remove(id: Int64, note: String, actor: String) async throws -> PackageRule?
    /// Records that a revoked version's files were deleted.
    func recordPurge(of rule: PackageRule, actor: String, note: String) async throws
    /// The newest `limit` audit entries, newest first.
    func auditLog(limit: Int) async throws -> [PolicyAuditEntry]
    /// A number that changes with every change to the rules.
    func generation() async throws -> Int64
}
