import ArgumentParser
import Foundation
import LarderCore
import LarderPolicy
import LarderServer
import Logging

/// The options every rule-changing command shares: the note, who is making the change, and
/// the data directory's settings.
struct RuleChangeOptions: ParsableArguments {
    @OptionGroup var settings: SettingsOptions
    @Option(help: "Why (a ticket, a reason, an advisory); written to the audit log.")
    var note: String
    @Option(help: "Who makes the change, for the audit log (default: the user running the command).")
    var by: String?

    /// The author recorded in the audit log.
    var actor: String { by ?? "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName) }

    /// The stack over the data directory, its rules loaded; quiet unless asked.
    func stack() async throws -> LarderStack {
        try await RuleCommands.stack(settings)
    }

    /// Makes and stores an `action` rule for `purl` with this note and author; a rule that
    /// cannot be made is a usage error with its message.
    func add(_ action: PackageRule.Action, _ purl: String, in stack: LarderStack? = nil) async throws -> PackageRule {
        let stack = if let stack { stack } else { try await self.stack() }
        let admin = stack.policyAdmin
        return try await RuleCommands.checked { try await admin.add(action, packageURL: purl, note: note, actor: actor) }
    }
}

/// Shared by the rule commands.
enum RuleCommands {
    static func stack(_ settings: SettingsOptions) async throws -> LarderStack {
        var configuration = try settings.resolve()
        if settings.logLevel == nil { configuration.logLevel = .error }
        var logger = Logger(label: "larder")
        logger.logLevel = configuration.logLevel
        let stack = try LarderStack(configuration: configuration, logger: logger)
        try await stack.loadRules()
        return stack
    }

    /// Runs `body`, turning a rule that cannot be made into a usage error with its message.
    static func checked<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PolicyInputError {
            throw ValidationError(error.message)
        }
    }

    static func line(_ rule: PackageRule) -> String {
        let format = ISO8601DateFormatter()
        return [String(rule.id), rule.action.rawValue, rule.packageURL, rule.createdBy, format.string(from: rule.createdAt), rule.note].joined(separator: "\t")
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// `larder declare PURL --note …`.
struct DeclareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declare", abstract: "Declare a package (all versions), a version, or a range of versions, with a note.",
        discussion: """
            In declared-only mode (mode: declared-only) only declared packages are served or \
            fetched. Examples: larder declare pkg:npm/left-pad@1.3.0 --note "web build, OPS-12"; \
            larder declare 'pkg:pypi/requests@>=2.31,<3' --note "…"; larder declare \
            pkg:maven/org.example/lib --note "…" (every version). A running server picks the \
            change up within 2 seconds.
            """)
    @Argument(help: "A package URL; without a version it declares every version, with a range (quoted) the matching ones.")
    var purl: String
    @OptionGroup var options: RuleChangeOptions

    func run() async throws {
        let rule = try await options.add(.declare, purl)
        print("declared \(rule.packageURL) (rule \(rule.id))")
    }
}

/// `larder block PURL --note …`.
struct BlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Block a package, a version or a range: refused with the note (403) and left out of metadata.")
    @Argument(help: "A package URL; without a version it blocks every version.")
    var purl: String
    @OptionGroup var options: RuleChangeOptions

    func run() async throws {
        let rule = try await options.add(.block, purl)
        print("blocked \(rule.packageURL) (rule \(rule.id))")
    }
}

/// `larder revoke PURL --note … [--purge]`.
struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a version already cached: left out of metadata, downloads refused with the note, its files kept in quarantine or purged.",
        discussion: """
            The stored files stay in the blob store, not served, for inspection (their paths are \
            printed); --purge deletes them. To revoke a token, use larder token revoke.
            """)
    @Argument(help: "A package URL with a version (or a quoted range).")
    var purl: String
    @Flag(help: "Delete the version's stored files instead of keeping them in quarantine.")
    var purge = false
    @OptionGroup var options: RuleChangeOptions

    func run() async throws {
        let stack = try await options.stack()
        let admin = stack.policyAdmin
        let rule = try await options.add(.revoke, purl, in: stack)
        print("revoked \(rule.packageURL) (rule \(rule.id))")
        do {
            if purge {
                for entry in try await admin.purge(rule, actor: options.actor) { print("purged \(Route.displayKey(entry.key)) (sha256 \(entry.digest))") }
            } else {
                for entry in try await admin.storedFiles(of: rule) {
                    print("quarantined (not served): \(Route.displayKey(entry.key)) at \(stack.store.blobs.path(ofDigest: entry.digest))")
                }
            }
        } catch {
            FileHandle.standardError.write(Data("the version is revoked, but its stored files could not be listed: \(error)\n".utf8))
        }
        await stack.engine.shutdown()
    }
}

/// `larder exempt PURL --note …`.
struct ExemptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exempt", abstract: "Let a package, version or range through the cooldown and the freeze date now (break-glass), with a note.")
    @Argument(help: "A package URL; without a version every version is exempt.")
    var purl: String
    @OptionGroup var options: RuleChangeOptions

    func run() async throws {
        let rule = try await options.add(.exempt, purl)
        print("exempted \(rule.packageURL) from the cooldown (rule \(rule.id))")
    }
}

/// `larder rules list|amend|remove|audit`.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "List, search, amend and remove declarations, blocks and revocations; read the audit log.",
        subcommands: [List.self, Amend.self, Remove.self, Audit.self])

    /// `larder rules list [--action declare] [--search TEXT] [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rules: id, action, package URL, author, date, note.")
        @OptionGroup var settings: SettingsOptions
        @Option(help: "Only rules of this action: declare, block, revoke or exempt.")
        var action: String?
        @Option(help: "Only rules whose package URL, note or author contains this text.")
        var search: String?
        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let action = try action.map { text in
                guard let action = PackageRule.Action(rawValue: text.lowercased()) else { throw ValidationError("'\(text)' is not an action: declare, block, revoke or exempt") }
                return action
            }
            let rules = try await RuleCommands.stack(settings).policyAdmin.list(action: action, search: search)
            if json { return try RuleCommands.printJSON(rules) }
            for rule in rules { print(RuleCommands.line(rule)) }
        }
    }

    /// `larder rules amend ID --note …`.
    struct Amend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a rule's note (audited).")
        @Argument(help: "The rule's number (larder rules list).")
        var id: Int64
        @OptionGroup var options: RuleChangeOptions

        func run() async throws {
            let admin = try await options.stack().policyAdmin
            let rule = try await RuleCommands.checked { try await admin.amend(id: id, note: options.note, actor: options.actor) }
            print("amended rule \(rule.id): \(rule.packageURL)")
        }
    }

    /// `larder rules remove ID --note …`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a rule (audited): undeclare, unblock or unrevoke.")
        @Argument(help: "The rule's number (larder rules list).")
        var id: Int64
        @OptionGroup var options: RuleChangeOptions

        func run() async throws {
            let admin = try await options.stack().policyAdmin
            let rule = try await RuleCommands.checked { try await admin.remove(id: id, note: options.note, actor: options.actor) }
            print("removed rule \(rule.id): \(rule.action.rawValue) \(rule.packageURL)")
        }
    }

    /// `larder rules audit [--limit N] [--json]`.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit log of rule changes, newest first: time, who, change, rule, package URL, note.")
        @OptionGroup var settings: SettingsOptions
        @Option(help: "How many entries (default 100).")
        var limit = 100
        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let entries = try await RuleCommands.stack(settings).policyAdmin.audit(limit: limit)
            if json { return try RuleCommands.printJSON(entries) }
            let format = ISO8601DateFormatter()
            for entry in entries {
                print([format.string(from: entry.time), entry.actor, entry.change.rawValue, "\(entry.action.rawValue) \(entry.ruleID)", entry.packageURL, entry.note].joined(separator: "\t"))
            }
        }
    }
}
