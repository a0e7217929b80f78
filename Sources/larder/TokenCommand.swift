import ArgumentParser
import Foundation
import LarderCore
import LarderServer
import LarderSQLite

/// `larder token`: access tokens in the data directory.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke access tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    /// `larder token create --name NAME --role ROLE`: prints the secret once.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print its secret (shown only now; only its hash is stored).")
        @OptionGroup var settings: SettingsOptions
        @Option(help: "The token's name: letters, digits, '-', '_' and '.'.")
        var name: String
        @Option(help: "read (install packages), write (also fill the cache and start mirror jobs) or admin (also manage tokens).")
        var role: String

        func run() async throws {
            guard AccessToken.isValidName(name) else { throw ValidationError("'\(name)' is not a token name: 1 to 64 letters, digits, '-', '_' and '.'") }
            guard let role = AccessRole(rawValue: role.lowercased()) else { throw ValidationError("'\(role)' is not a role: read, write or admin") }
            let store = try TokenCommand.store(settings)
            let secret = AccessToken.makeSecret()
            do {
                try await store.create(AccessToken(name: name, role: role, createdAt: Date()), secretHash: AccessToken.hash(secret))
            } catch let error as LarderError {
                throw ValidationError(error.message)
            }
            print(secret)
            FileHandle.standardError.write(Data("token '\(name)' (\(role.rawValue)) created; its secret is shown only this once\n".utf8))
        }
    }

    /// `larder token list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens: name, role, created, revoked, and the restricted upstreams (readers) each may read under the configuration given.")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let format = ISO8601DateFormatter()
            let configuration = try settings.resolve()
            for token in try await TokenCommand.store(settings).tokens() {
                let upstreams = configuration.restrictedUpstreams(readableBy: token)
                print([
                    token.name, token.role.rawValue, format.string(from: token.createdAt), token.revokedAt.map { "revoked " + format.string(from: $0) } ?? "active",
                    upstreams.isEmpty ? "-" : upstreams.joined(separator: ","),
                ].joined(separator: "\t"))
            }
        }
    }

    /// `larder token revoke NAME`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token (a running server refuses it within 10 seconds).")
        @OptionGroup var settings: SettingsOptions
        @Argument(help: "The token's name.")
        var name: String

        func run() async throws {
            guard try await TokenCommand.store(settings).revoke(name: name, at: Date()) else {
                throw ValidationError("there is no active token named '\(name)'")
            }
            print("token '\(name)' revoked")
        }
    }

    static func store(_ settings: SettingsOptions) throws -> SQLiteTokenStore {
        SQLiteTokenStore(index: try LarderStore(dataDirectory: try settings.resolve().dataDirectory).index)
    }
}
