public import Foundation
public import LarderCore
public import LarderMirror
import Synchronization

/// The package rules in force, kept in memory so that the engine's questions cost a dictionary
/// lookup: which packages are declared, blocked or revoked, and the mode. It is loaded from a
/// ``PolicyStore`` at start and reloaded when the store's generation moves (another process,
/// such as `larder declare`, changed the rules) or when this process changed them.
public final class PackageRules: PackagePolicy {
    /// Which packages may enter at all.
    public let mode: PolicyMode
    /// The ecosystems rules can name, with their version range syntax and route names.
    private let catalogs: [String: any PackageCatalog]

    private struct Compiled: Sendable {
        var rule: PackageRule
        /// Whether the rule covers a version (every version when the rule names none).
        var covers: @Sendable (String) -> Bool
    }

    private struct Snapshot: Sendable {
        var generation: Int64 = -1
        var byPackage: [String: [Compiled]] = [:]
        /// The numbers of the rules on each ecosystem's packages, joined: `stamp(ecosystem:)`.
        var ruleIDs: [String: String] = [:]
    }

    private let snapshot = Mutex(Snapshot())

    /// The cooldown, with its package settings keyed by ecosystem and route name.
    private let cooldown: CooldownSettings
    private let packageAges: [String: TimeInterval]
    /// Ecosystems whose versions are aged: the cooldown is on and their metadata carries dates.
    private let agedEcosystems: Set<String>
    /// Where version histories are kept, and those read lately (cost: versions).
    private let history: (any VersionHistoryStore)?
    private let histories = LRUCache<String, [String: VersionHistory]>(capacity: 2_000_000)

    /// Rules over the ecosystems `catalogs` describe, in `mode`, holding versions back as
    /// `cooldown` says (histories kept in `history`); empty until ``load(_:generation:)``.
    /// Throws when a cooldown package setting is not a package URL of a served ecosystem.
    public init(mode: PolicyMode, catalogs: [any PackageCatalog], cooldown: CooldownSettings = CooldownSettings(), history: (any VersionHistoryStore)? = nil) throws(PolicyInputError) {
        self.mode = mode
        self.catalogs = Dictionary(catalogs.map { ($0.ecosystem, $0) }, uniquingKeysWith: { first, _ in first })
        self.cooldown = cooldown
        self.history = history
        agedEcosystems = cooldown.isEnabled && history != nil ? Set(catalogs.filter(\.versionsCarryDates).map(\.ecosystem)) : []
        var ages: [String: TimeInterval] = [:]
        for (text, age) in cooldown.packages {
            let purl: PackageURL
            do {
                purl = try PackageURL(parsing: text)
            } catch {
                throw PolicyInputError("cooldown.packages: '\(text.prefix(200))' is not a package URL: \(error)")
            }
            guard purl.version == nil else { throw PolicyInputError("cooldown.packages: '\(text.prefix(200))' names a version; name the package only") }
            guard let catalog = self.catalogs[purl.type] else { throw PolicyInputError("cooldown.packages: Larder serves no '\(purl.type)' packages") }
            ages[Self.key(purl.type, catalog.routeName(of: CatalogPackage(namespace: purl.namespace, name: purl.name, qualifiers: purl.qualifiers)))] = age
        }
        packageAges = ages
    }

    /// The generation of the rules loaded.
    public var generation: Int64 { snapshot.withLock { $0.generation } }

    /// Replaces the rules in force.
    public func load(_ rules: [PackageRule], generation: Int64) {
        var byPackage: [String: [Compiled]] = [:]
        for rule in rules {
            byPackage[Self.key(rule.ecosystem, rule.name), default: []].append(Compiled(rule: rule, covers: covering(rule)))
        }
        let ruleIDs = Dictionary(grouping: rules, by: \.ecosystem).mapValues { $0.map(\.id).sorted().map(String.init).joined(separator: ",") }
        snapshot.withLock { $0 = Snapshot(generation: generation, byPackage: byPackage, ruleIDs: ruleIDs) }
    }

    /// Reloads from `store` if its generation moved; returns whether it did.
    @discardableResult
    public func refresh(from store: any PolicyStore) async throws -> Bool {
        let current = try await store.generation()
        guard current != generation else { return false }
        load(try await store.rules(), generation: current)
        return true
    }

    /// The rules on `name`, for listings.
    public func rules(ecosystem: String, name: String) -> [PackageRule] {
        snapshot.withLock { $0.byPackage[Self.key(ecosystem, name)] ?? [] }.map(\.rule)
    }

    // MARK: PackagePolicy

    public func verdict(ecosystem: String, package: PackageRef) -> PolicyVerdict {
        let rules = snapshot.withLock { $0.byPackage[Self.key(ecosystem, package.name)] } ?? []
        if rules.isEmpty && mode == .open { return .allowed }
        guard let version = package.version else {
            if let block = rules.first(where: { $0.rule.action == .block && $0.rule.versions == nil }) {
                return .refused("\(block.rule.packageURL) is blocked (rule \(block.rule.id), by \(block.rule.createdBy)): \(block.rule.note)")
            }
            if mode == .declaredOnly && !rules.contains(where: { $0.rule.action == .declare }) {
                return .refused(notDeclared(ecosystem: ecosystem, package: package))
            }
            return .allowed
        }
        if let revoked = rules.first(where: { $0.rule.action == .revoke && $0.covers(version) }) {
            return .refused("\(Self.packageURL(ecosystem, package)) was revoked (rule \(revoked.rule.id), by \(revoked.rule.createdBy)): \(revoked.rule.note)")
        }
        if let block = rules.first(where: { $0.rule.action == .block && $0.covers(version) }) {
            return .refused("\(Self.packageURL(ecosystem, package)) is blocked by \(block.rule.packageURL) (rule \(block.rule.id), by \(block.rule.createdBy)): \(block.rule.note)")
        }
        if mode == .declaredOnly && !rules.contains(where: { $0.rule.action == .declare && $0.covers(version) }) {
            return .refused(notDeclared(ecosystem: ecosystem, package: package))
        }
        return .allowed
    }

    public func versionFilter(ecosystem: String, name: String) -> VersionFilter {
        let touched = snapshot.withLock { $0.byPackage[Self.key(ecosystem, name)] != nil }
        guard touched || mode == .declaredOnly || ages(ecosystem: ecosystem) else { return .everything }
        return VersionFilter { self.verdict(ecosystem: ecosystem, package: PackageRef(name, version: $0)).isAllowed }
    }

    // MARK: Cooldown

    public func ages(ecosystem: String) -> Bool { agedEcosystems.contains(ecosystem) }

    /// The age versions of `name` must reach: the package's setting, else the ecosystem's, else
    /// the default.
    func age(ecosystem: String, name: String) -> TimeInterval {
        packageAges[Self.key(ecosystem, name)] ?? cooldown.ecosystems[ecosystem] ?? cooldown.defaultAge ?? 0
    }

    public func admission(ecosystem: String, package: PackageRef) async throws -> PolicyVerdict {
        let ruled = verdict(ecosystem: ecosystem, package: package)
        guard ruled.isAllowed, ages(ecosystem: ecosystem), let version = package.version else { return ruled }
        let known = try await versionHistories(ecosystem: ecosystem, name: package.name)
        return heldBack(ecosystem: ecosystem, package: package, history: known[version], now: Date()).map(PolicyVerdict.refused) ?? .allowed
    }

    public func recordVersions(ecosystem: String, name: String, _ versions: [VersionDate]) async throws {
        guard ages(ecosystem: ecosystem), let history else { return }
        let cached = histories.get(Self.key(ecosystem, name))
        let new = versions.filter { cached?[$0.version] == nil }
        guard !new.isEmpty else { return }
        let recorded = try await history.record(ecosystem: ecosystem, name: name, new.map { ($0.version, $0.published) }, now: Date())
        histories.set(Self.key(ecosystem, name), recorded, cost: max(1, recorded.count))
    }

    public func knownVersions(ecosystem: String, name: String) async throws -> Set<String> {
        guard ages(ecosystem: ecosystem) else { return [] }
        return Set(try await versionHistories(ecosystem: ecosystem, name: name).keys)
    }

    public func agedVersionFilter(ecosystem: String, name: String, now: Date) async throws -> (filter: VersionFilter, validUntil: Date?) {
        guard ages(ecosystem: ecosystem) else { return (versionFilter(ecosystem: ecosystem, name: name), nil) }
        let known = try await versionHistories(ecosystem: ecosystem, name: name)
        var comesOfAge: Date?
        var allowed = Set<String>()
        for (version, history) in known {
            let package = PackageRef(name, version: version)
            guard verdict(ecosystem: ecosystem, package: package).isAllowed else { continue }
            if heldBack(ecosystem: ecosystem, package: package, history: history, now: now) == nil {
                allowed.insert(version)
            } else if cooldown.before.map({ history.agedFrom <= $0 }) ?? true {
                // Held back by age alone: it comes of age, and the rendering changes, then.
                let due = history.agedFrom.addingTimeInterval(age(ecosystem: ecosystem, name: name))
                comesOfAge = min(comesOfAge ?? due, due)
            }
        }
        let listed = allowed
        return (VersionFilter { listed.contains($0) }, comesOfAge)
    }

    /// Why a version is held back by age, or nil when it is not: it was never seen listed
    /// (its age is unknown), it is newer than the freeze date, or younger than its cooldown.
    /// An `exempt` rule lets it through.
    private func heldBack(ecosystem: String, package: PackageRef, history: VersionHistory?, now: Date) -> String? {
        guard let version = package.version else { return nil }
        let rules = snapshot.withLock { $0.byPackage[Self.key(ecosystem, package.name)] } ?? []
        if rules.contains(where: { $0.rule.action == .exempt && $0.covers(version) }) { return nil }
        let purl = Self.packageURL(ecosystem, package)
        guard let history else {
            return "\(purl) has not been seen in its package's metadata yet, so its age is unknown, and the cooldown holds back what it cannot date; read the package's metadata first, or exempt it: larder exempt '\(purl)' --note '…'"
        }
        let format = ISO8601DateFormatter()
        if let before = cooldown.before, history.agedFrom > before {
            return "\(purl) appeared \(format.string(from: history.agedFrom)), after the freeze date \(format.string(from: before)) (cooldown.before); exempt it to let it in: larder exempt '\(purl)' --note '…'"
        }
        let age = age(ecosystem: ecosystem, name: package.name)
        let due = history.agedFrom.addingTimeInterval(age)
        guard due > now else { return nil }
        let from = history.published == nil ? "it has no publish time, so it counts from when Larder first saw it" : (history.agedFrom > (history.published ?? .distantPast) ? "it appeared after Larder first read the package, so it counts from then, not from its stated publish time" : "published \(format.string(from: history.agedFrom))")
        return "\(purl) is held back by the cooldown of \(Self.text(age)) (\(from)) until \(format.string(from: due)); exempt it to let it in now: larder exempt '\(purl)' --note '…'"
    }

    private func versionHistories(ecosystem: String, name: String) async throws -> [String: VersionHistory] {
        if let cached = histories.get(Self.key(ecosystem, name)) { return cached }
        guard let history else { return [:] }
        let known = try await history.histories(ecosystem: ecosystem, name: name)
        if !known.isEmpty { histories.set(Self.key(ecosystem, name), known, cost: known.count) }
        return known
    }

    private static func text(_ age: TimeInterval) -> String {
        if age >= 86_400, age.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(age / 86_400))d" }
        if age >= 3_600, age.truncatingRemainder(dividingBy: 3_600) == 0 { return "\(Int(age / 3_600))h" }
        return "\(Int(age))s"
    }

    public func stamp(ecosystem: String, name: String) -> String {
        let rules = snapshot.withLock { $0.byPackage[Self.key(ecosystem, name)] } ?? []
        // Notes do not change verdicts: the rules' numbers (a change removes or adds one) do.
        return mode.rawValue + ":" + rules.map { String($0.rule.id) }.joined(separator: ",")
    }

    public func stamp(ecosystem: String) -> String? {
        let ids = snapshot.withLock { $0.ruleIDs[ecosystem] }
        guard ids != nil || mode == .declaredOnly else { return nil }
        return mode.rawValue + ":" + (ids ?? "")
    }

    // MARK: Rules

    /// The rule a Package URL describes, checked: the ecosystem must be one Larder serves, the
    /// note must say why. The version part may be an exact version or a range in the
    /// ecosystem's syntax (quote it for the shell: `'pkg:npm/lodash@^4.17'`).
    public func rule(_ action: PackageRule.Action, packageURL text: String, note: String, actor: String, at date: Date = Date()) throws(PolicyInputError) -> PackageRule {
        guard text.utf8.count <= 2_000 else { throw PolicyInputError("the package URL is longer than 2000 bytes") }
        let purl: PackageURL
        do {
            purl = try PackageURL(parsing: text)
        } catch {
            throw PolicyInputError("'\(text.prefix(200))' is not a package URL: \(error)")
        }
        let last = text.split(separator: "?", maxSplits: 1)[0].split(separator: "#", maxSplits: 1)[0].split(separator: "/").last ?? ""
        guard purl.version != nil || !last.hasSuffix("@") else {
            throw PolicyInputError("'\(text.prefix(200))' has an '@' with no version after it; leave the '@' out to name every version")
        }
        guard let catalog = catalogs[purl.type] else {
            throw PolicyInputError("Larder serves no '\(purl.type)' packages; rules can name: \(catalogs.keys.sorted().joined(separator: ", "))")
        }
        let note = try PolicyAdmin.checked(note)
        guard action != .revoke || purl.version != nil else {
            throw PolicyInputError("revoke names a version (\(text)@1.2.3); to refuse every version, block the package")
        }
        let name = catalog.routeName(of: CatalogPackage(namespace: purl.namespace, name: purl.name, qualifiers: purl.qualifiers))
        return PackageRule(
            action: action, ecosystem: purl.type, name: name, versions: purl.version, packageURL: purl.description, note: note, createdBy: actor, createdAt: date)
    }

    private func covering(_ rule: PackageRule) -> @Sendable (String) -> Bool {
        guard let versions = rule.versions else { return { _ in true } }
        guard let range = try? catalogs[rule.ecosystem]?.versionRange(versions) else { return { $0 == versions } }
        return { $0 == versions || range.contains($0) }
    }

    private func notDeclared(ecosystem: String, package: PackageRef) -> String {
        let purl = Self.packageURL(ecosystem, package)
        return "\(purl) is not declared, and this Larder serves only declared packages (mode: declared-only). "
            + "Someone with a write token can declare it: larder declare '\(purl)' --note 'why it is needed', or POST /api/declarations {\"purl\": \"\(purl)\", \"note\": \"…\"}"
    }

    /// `name` (with `version`) as a Package URL.
    static func packageURL(_ ecosystem: String, _ package: PackageRef) -> String {
        let slash = ecosystem == "golang" || ecosystem == "maven" || ecosystem == "composer" || package.name.hasPrefix("@") ? package.name.lastIndex(of: "/") : nil
        let namespace = slash.map { String(package.name[..<$0]) }
        let name = slash.map { String(package.name[package.name.index(after: $0)...]) } ?? package.name
        if let purl = try? PackageURL(type: ecosystem, namespace: namespace, name: name, version: package.version) { return purl.description }
        return "pkg:\(ecosystem)/\(package.description)"
    }

    private static func key(_ ecosystem: String, _ name: String) -> String { ecosystem + "\u{1}" + name }
}

/// A rule that cannot be made as given: the message says what to change.
public struct PolicyInputError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var message: String

    /// Creates the error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
