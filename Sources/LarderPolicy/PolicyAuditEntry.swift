public import Foundation

/// One change to the package rules, as the audit log keeps it: who, when, what and why.
public struct PolicyAuditEntry: Sendable, Hashable, Codable {
    /// What was done.
    public enum Change: String, Sendable, Codable {
        /// A rule was made.
        case added
        /// A rule's note was changed.
        case amended
        /// A rule was removed.
        case removed
        /// A revoked version's stored files were deleted.
        case purged
    }

    /// When.
    public var time: Date
    /// Who (a token name, or the user who ran the command).
    public var actor: String
    /// What was done.
    public var change: Change
    /// The rule's action (`declare`, `block`, `revoke`).
    public var action: PackageRule.Action
    /// The rule's number.
    public var ruleID: Int64
    /// The rule's Package URL.
    public var packageURL: String
    /// The note given with the change (the rule's note, the new note, or why it was removed).
    public var note: String

    /// Creates an entry.
    public init(time: Date, actor: String, change: Change, action: PackageRule.Action, ruleID: Int64, packageURL: String, note: String) {
        self.time = time
        self.actor = actor
        self.change = change
        self.action = action
        self.ruleID = ruleID
        self.packageURL = packageURL
        self.note = note
    }
}
