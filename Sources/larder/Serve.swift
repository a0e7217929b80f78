import ArgumentParser
import LarderServer
import Logging

/// `larder serve`: runs the proxy until SIGINT or SIGTERM, then shuts down gracefully.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the caching proxy.")

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let configuration = try settings.resolve()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "larder")
        let descriptors = DescriptorLimit.raiseToHardLimit()
        if descriptors.to != descriptors.from { logger.info("raised the open file limit", metadata: ["from": "\(descriptors.from)", "to": "\(descriptors.to)"]) }
        let larder = try await LarderApplication(configuration: configuration, logger: logger) { port in
            logger.notice("Larder is serving", metadata: [
                "address": "\(configuration.host):\(port)",
                "data_dir": "\(configuration.dataDirectory)",
                "max_connections": "\(configuration.maxConnections ?? DescriptorLimit.defaultMaxConnections)",
                "upstreams": "\(configuration.upstreams.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.isEmpty ? "not configured" : $0.value.map(\.baseURL).joined(separator: ", "))" }.joined(separator: "; "))",
            ])
        }
        try await larder.application.runService()
    }
}
