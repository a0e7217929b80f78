import Foundation
import LarderTesting
import Testing

/// `larder serve` run as a separate process, as an operator runs it.
final class ServerProcess {
    let process = Process()
    let port = Int.random(in: 20000..<40000)
    /// Where its standard error goes.
    let log = TestLarder.temporaryDirectory("larder-log") + ".log"

    /// Starts the binary with `arguments` after `serve --listen`; `limit` runs it under
    /// `ulimit -n` (soft and hard) of that many descriptors, `softLimit` lowers the soft limit
    /// only. Waits (at most 10 s) until it answers `/health`.
    init(_ arguments: [String], limit: Int? = nil, softLimit: Int? = nil) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let quoted = ([CommandLineTests.binary, "serve", "--listen", "127.0.0.1:\(port)"] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var script = "exec " + quoted.joined(separator: " ") + " 2>>'\(log)'"
        if let limit { script = "ulimit -n \(limit) && " + script }
        if let softLimit { script = "ulimit -Sn \(softLimit) && " + script }
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var health: RawHTTP.Answer?
        for _ in 0..<100 where health == nil && process.isRunning {
            health = try? await RawHTTP.send(port: port, target: "/health")
            if health == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(health?.status == 200, "larder serve did not start: \(logText)")
    }

    /// What it logged.
    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}
