import ArgumentParser

/// The `larder` command.
@main
struct Larder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "larder",
        abstract: "A selective package mirror and pull-through caching proxy for package registries.",
        subcommands: [Serve.self, MirrorCommand.self, StatsCommand.self, VerifyCommand.self, TLSCommand.self, TokenCommand.self, DeclareCommand.self, BlockCommand.self, RevokeCommand.self, ExemptCommand.self, RulesCommand.self],
        defaultSubcommand: Serve.self
    )
}
