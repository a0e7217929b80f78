public import Foundation
import LarderCore

/// A command that failed, with what it printed.
public struct ShellError: Error, CustomStringConvertible {
    /// What happened.
    public let message: String
    public var description: String { message }
}

/// Runs real programs (package clients) for tests.
public enum Shell {
    /// Runs `arguments` in `directory` with `environment` added to (or, with `clean`, replacing)
    /// the current one; returns standard output, throws with both outputs on a non-zero exit or
    /// after `timeout` seconds. The wait happens on a thread of its own, never on Swift's cooperative
    /// pool, so an in-process server stays responsive to the program being run (see `Blocking`).
    @discardableResult
    public static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], clean: Bool = false, timeout: TimeInterval = 300) async throws -> String {
        try await Blocking.run { try runBlocking(arguments, in: directory, environment: environment, clean: clean, timeout: timeout) }
    }

    static func runBlocking(_ arguments: [String], in directory: String?, environment: [String: String], clean: Bool, timeout: TimeInterval) throws -> String {
        var env = clean ? ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/tmp"] : ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        // posix_spawn directly (ChildProcess): Foundation's Process is not safe with many
        // children at once on Linux, and tests run many.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("larder-shell-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let outcome = try ChildProcess.run(arguments, environment: env, directory: directory, stdout: base + ".out", stderr: base + ".err", timeout: .milliseconds(Int64(timeout * 1000)))
        let stdout = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: base + ".out"))) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: base + ".err"))) ?? Data(), as: UTF8.self)
        guard outcome.status == 0 else {
            let how = outcome.timedOut ? "was killed after \(Int(timeout)) s" : "exited with \(outcome.status)"
            throw ShellError(message: "\(arguments.joined(separator: " ")) \(how)\n--- stdout\n\(stdout.suffix(4000))\n--- stderr\n\(stderr.suffix(4000))")
        }
        return stdout
    }

    /// Whether `program` is on the PATH.
    public static func has(_ program: String) -> Bool {
        (try? runBlocking(["sh", "-c", "command -v \(program)"], in: nil, environment: [:], clean: false, timeout: 10)) != nil
    }
}
