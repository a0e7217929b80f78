import LarderPolicy
import Logging
import ServiceLifecycle

/// Reloads the package rules when another process changed them (`larder declare` on the same
/// data directory, another node on the same database): checks the store's generation every
/// `interval`. Changes made through this server's API apply at once.
struct PolicyService: Service {
    let rules: PackageRules
    let store: any PolicyStore
    let logger: Logger
    /// How often the store is asked.
    static let interval: Duration = .seconds(2)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                if Task.isCancelled { break }
                do {
                    if try await rules.refresh(from: store) {
                        logger.notice("package rules reloaded", metadata: ["generation": "\(rules.generation)"])
                    }
                } catch {
                    logger.warning("could not reload the package rules; the loaded ones stay in force", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
