public import Foundation

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = clean ? ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/tmp"] : ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a chatty program cannot block on a full pipe.
        let errData = Mutexed(Data())
        let reading = DispatchSemaphore(value: 0)
        Thread {
            errData.value = err.fileHandleForReading.readDataToEndOfFile()
            reading.signal()
        }.start()
        let deadline = DispatchTime.now() + timeout
        let timer = DispatchSource.makeTimerSource()
        timer.schedule(deadline: deadline)
        timer.setEventHandler { if process.isRunning { process.terminate() } }
        timer.resume()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timer.cancel()
        reading.wait()
        let stdout = String(decoding: outData, as: UTF8.self)
        let stderr = String(decoding: errData.value, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ShellError(message: "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus)\n--- stdout\n\(stdout.suffix(4000))\n--- stderr\n\(stderr.suffix(4000))")
        }
        return stdout
    }

    /// Whether `program` is on the PATH.
    public static func has(_ program: String) -> Bool {
        (try? runBlocking(["sh", "-c", "command -v \(program)"], in: nil, environment: [:], clean: false, timeout: 10)) != nil
    }
}

final class Mutexed<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ value: T) { _value = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return _value }
        set { lock.lock(); _value = newValue; lock.unlock() }
    }
}
