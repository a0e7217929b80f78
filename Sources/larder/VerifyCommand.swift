import ArgumentParser
import Foundation
import LarderCore
import LarderServer
import Logging

/// `larder verify`: re-hashes every stored blob against the index, quarantines damaged ones and
/// drops entries whose blob is missing, so they are fetched anew; exits non-zero if it found any.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every stored blob; quarantine damaged ones.",
        discussion: """
            Reads every blob the index names and checks its size and SHA-256. A damaged blob is \
            moved to quarantine/ in the data directory and its entries dropped, a missing one's \
            entries dropped; either is fetched again on the next request. Works beside a running \
            larder serve. Exits with 1 when anything was damaged or missing.
            """)

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        var configuration = try settings.resolve()
        if settings.logLevel == nil { configuration.logLevel = .error }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let stack = try LarderStack(configuration: configuration, logger: Logger(label: "larder"))
        let output = VerifyOutput(terminal: isatty(STDOUT_FILENO) == 1)
        let report = try await stack.engine.audit { output.report($0) }
        await stack.engine.shutdown()
        output.finish()
        for key in report.damaged { print("damaged, quarantined: \(key)") }
        for key in report.missing { print("missing, dropped: \(key)") }
        print("checked \(report.checked) entries (\(byteCountText(report.bytes)) hashed): \(report.damaged.count) damaged and quarantined, \(report.missing.count) missing; both are fetched again on the next request")
        if !report.isClean { throw ExitCode.failure }
    }
}

/// Progress for `larder verify`: a bar on a terminal, a line per thousand entries otherwise.
final class VerifyOutput: @unchecked Sendable {
    private let terminal: Bool
    private let lock = NSLock()

    init(terminal: Bool) { self.terminal = terminal }

    func report(_ event: AuditEvent) {
        lock.lock()
        defer { lock.unlock() }
        if terminal {
            let width = 30
            let filled = width * event.done / max(event.total, 1)
            print("\r\u{1B}[K[\(String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled))] \(event.done)/\(event.total)", terminator: "")
        } else if event.done % 1000 == 0 {
            print("checked \(event.done) of \(event.total)")
        }
        fflush(nil)
    }

    func finish() {
        if terminal { print("") }
    }
}
