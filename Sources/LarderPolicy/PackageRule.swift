public import Foundation

/// One rule about a package: it is declared (wanted, with the reason why), blocked (never to
/// enter), or a version of it is revoked (pulled back out after it was cached).
public struct PackageRule: Sendable, Hashable, Codable {
    /// What the rule does.
    public enum Action: String, Sendable, Codable, CaseIterable {
        /// Declared: in `declared-only` mode only declared packages are served.
        case declare
        /// Blocked: refused with the rule's note, and left out of metadata.
        case block
        /// Revoked: like blocked, for one version already cached; its files are kept in
        /// quarantine (not served) unless purged.
        case revoke
        /// Exempt from the cooldown and the freeze date (a break-glass for an urgent fix).
        case exempt
    }

    /// The rule's number, assigned when it is stored.
    public var id: Int64
    /// What it does.
    public var action: Action
    /// The ecosystem (Package URL type).
    public var ecosystem: String
    /// The package, as routes name it: namespace and name joined by `/`, normalised as the
    /// ecosystem does.
    public var name: String
    /// An exact version or a range in the ecosystem's syntax; nil for every version.
    public var versions: String?
    /// The Package URL the rule was given as.
    public var packageURL: String
    /// Why: a ticket, a reason, an advisory.
    public var note: String
    /// Who made the rule (a token name, or the user who ran the command).
    public var createdBy: String
    /// When it was made.
    public var createdAt: Date
    /// When its note was last amended (its creation time if never).
    public var updatedAt: Date

    /// Creates a rule.
    public init(
        id: Int64 = 0, action: Action, ecosystem: String, name: String, versions: String?, packageURL: String, note: String, createdBy: String, createdAt: Date,
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.action = action
        self.ecosystem = ecosystem
        self.name = name
        self.versions = versions
        self.packageURL = packageURL
        self.note = note
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
