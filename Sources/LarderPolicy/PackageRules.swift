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
    }

    private let snapshot = Mutex(Snapshot())

    /// Rules over the ecosystems `catalogs` describe, in `mode`; empty until ``load(_:generation:)``.
    public init(mode: PolicyMode, catalogs: [any PackageCatalog]) {
        self.mode = mode
        self.catalogs = Dictionary(catalogs.map { ($0.ecosystem, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The generation of the rules loaded.
    public var generation: Int64 { snapshot.withLock { $0.generation } }

    /// Replaces the rules in force.
    public func load(_ rules: [PackageRule], generation: Int64) {
        var byPackage: [String: [Compiled]] = [:]
        for rule in rules {
            byPackage[Self.key(rule.ecosystem, rule.name), default: []].append(Compiled(rule: rule, covers: covering(rule)))
        }
        snapshot.withLock { $0 = Snapshot(generation: generation, byPackage: byPackage) }
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
        guard touched || mode == .declaredOnly else { return .everything }
        return VersionFilter { self.verdict(ecosystem: ecosystem, package: PackageRef(name, version: $0)).isAllowed }
    }

    public func stamp(ecosystem: String, name: String) -> String {
        let rules = snapshot.withLock { $0.byPackage[Self.key(ecosystem, name)] } ?? []
        // Notes do not change verdicts: the rules' numbers (a change removes or adds one) do.
        return mode.rawValue + ":" + rules.map { String($0.rule.id) }.joined(separator: ",")
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
