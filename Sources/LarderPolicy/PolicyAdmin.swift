public import Foundation
public import LarderCore
import LarderMirror

/// What `larder declare|block|revoke|rules` and `/api/declarations|blocks|revocations|rules|audit`
/// do, in one place: check a rule, store it with its audit entry, put it in force, list and
/// search rules, amend and remove them, and find (or purge) a revoked version's stored files.
public struct PolicyAdmin: Sendable {
    /// The rules in force.
    public let rules: PackageRules
    /// Where rules are kept.
    public let store: any PolicyStore
    /// The engine whose store holds the files.
    public let engine: Engine
    private let catalogs: [String: any PackageCatalog]

    /// Creates the admin over `rules` kept in `store`.
    public init(rules: PackageRules, store: any PolicyStore, engine: Engine, catalogs: [any PackageCatalog]) {
        self.rules = rules
        self.store = store
        self.engine = engine
        self.catalogs = Dictionary(catalogs.map { ($0.ecosystem, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Makes, stores and puts in force a rule from a Package URL.
    public func add(_ action: PackageRule.Action, packageURL: String, note: String, actor: String) async throws -> PackageRule {
        let rule = try rules.rule(action, packageURL: packageURL, note: note, actor: actor)
        if let same = try await store.rules().first(where: { $0.action == action && $0.ecosystem == rule.ecosystem && $0.name == rule.name && $0.versions == rule.versions }) {
            throw PolicyInputError("rule \(same.id) already \(action.pastTense) \(same.packageURL) (\(same.note)); amend its note instead")
        }
        let stored = try await store.add(rule, actor: actor)
        try await rules.refresh(from: store)
        return stored
    }

    /// Rules, oldest first: of one action if given, and matching `search` (in the Package URL,
    /// the note or the author, ignoring case) if given.
    public func list(action: PackageRule.Action? = nil, search: String? = nil) async throws -> [PackageRule] {
        let needle = search?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return try await store.rules().filter { rule in
            (action == nil || rule.action == action)
                && (needle.isEmpty || [rule.packageURL, rule.note, rule.createdBy].contains { $0.lowercased().contains(needle) })
        }
    }

    /// Rule `id`, if it exists and (when `action` is given) is of that action.
    public func rule(id: Int64, action: PackageRule.Action? = nil) async throws -> PackageRule? {
        try await store.rules().first { $0.id == id && (action == nil || $0.action == action) }
    }

    /// Replaces rule `id`'s note.
    public func amend(id: Int64, note: String, actor: String, action: PackageRule.Action? = nil) async throws -> PackageRule {
        try await change(id: id, note: note, action: action) { try await store.amend(id: id, note: $0, actor: actor) }
    }

    /// Removes rule `id`, recording why.
    public func remove(id: Int64, note: String, actor: String, action: PackageRule.Action? = nil) async throws -> PackageRule {
        try await change(id: id, note: note, action: action) { try await store.remove(id: id, note: $0, actor: actor) }
    }

    /// Checks `note` and that rule `id` exists (of `action`, when given), applies `apply` to
    /// the checked note, and puts the result in force.
    private func change(id: Int64, note: String, action: PackageRule.Action?, _ apply: (String) async throws -> PackageRule?) async throws -> PackageRule {
        let note = try Self.checked(note)
        guard try await rule(id: id, action: action) != nil, let changed = try await apply(note) else {
            throw PolicyInputError.noRule(id, action)
        }
        try await rules.refresh(from: store)
        return changed
    }

    /// The newest audit entries, newest first.
    public func audit(limit: Int = 100) async throws -> [PolicyAuditEntry] {
        try await store.auditLog(limit: max(1, min(limit, 10_000)))
    }

    /// The stored files of the versions `rule` names (a revoked version's files in quarantine),
    /// found through the package's metadata (cached, or fetched); empty when it names none.
    public func storedFiles(of rule: PackageRule) async throws -> [CacheEntry] {
        var found: [CacheEntry] = []
        for route in try await artifactRoutes(of: rule) {
            found += try await engine.storedCopies(of: route)
        }
        return found
    }

    /// Deletes the stored files of a revoked version, and records it in the audit log.
    public func purge(_ rule: PackageRule, actor: String) async throws -> [CacheEntry] {
        guard rule.action == .revoke else { throw PolicyInputError("only a revoked version's files are purged; rule \(rule.id) is a \(rule.action.rawValue) rule") }
        var purged: [CacheEntry] = []
        for route in try await artifactRoutes(of: rule) {
            purged += try await engine.purgeCopies(of: route)
        }
        try await store.recordPurge(of: rule, actor: actor, note: "\(purged.count) stored file(s) deleted")
        return purged
    }

    private func artifactRoutes(of rule: PackageRule) async throws -> [Route] {
        guard let versions = rule.versions, let catalog = catalogs[rule.ecosystem] else { return [] }
        let purl = try PackageURL(parsing: rule.packageURL)
        let package = CatalogPackage(namespace: purl.namespace, name: purl.name, qualifiers: purl.qualifiers)
        var releases: [CatalogRelease] = []
        if let exact = try await catalog.release(of: package, version: versions, engine: engine) {
            releases = [exact]
        } else if let range = try? catalog.versionRange(versions) {
            releases = try await catalog.releases(of: package, engine: engine).filter { range.contains($0.version) }
        }
        return releases.flatMap { $0.artifacts.map(\.route) }
    }

    /// `note` trimmed, if it says something and is not too long.
    static func checked(_ note: String) throws(PolicyInputError) -> String {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty else { throw PolicyInputError("say why with a note (--note, or \"note\" in the body): it goes to the audit log") }
        guard note.utf8.count <= 2_000 else { throw PolicyInputError("the note is longer than 2000 bytes") }
        return note
    }
}

extension PackageRule.Action {
    /// `declared`, `blocked`, `revoked`.
    public var pastTense: String {
        switch self {
        case .declare: "declared"
        case .block: "blocked"
        case .revoke: "revoked"
        case .exempt: "exempted"
        }
    }
}

extension PolicyInputError {
    static func noRule(_ id: Int64, _ action: PackageRule.Action?) -> PolicyInputError {
        PolicyInputError("there is no \(action.map { "\($0.rawValue) " } ?? "")rule \(id); list them with larder rules list")
    }
}
