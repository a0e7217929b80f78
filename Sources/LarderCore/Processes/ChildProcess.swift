#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// Runs a program with `posix_spawn` and waits for it, without Foundation's `Process` (whose
/// bookkeeping of children is not safe when many run at once on Linux). The child gets
/// `/dev/null` as input, its output and errors in files, default signal handling, an empty signal
/// mask, and none of the parent's descriptors beyond those three. `run` blocks its thread: call
/// it off Swift's cooperative pool (`ChildProcess.output` does).
public enum ChildProcess {
    /// How a run ended.
    public struct Outcome: Sendable {
        /// The exit status; 128 + the signal number when a signal ended it.
        public var status: Int32
        /// Whether it was killed for running past its time.
        public var timedOut: Bool
    }

    /// Runs `arguments` (the first is looked up on `PATH`; `/usr/bin/env` starts it, in
    /// `directory` when given) with exactly `environment`, writing standard output and error to
    /// the files at `stdout` and `stderr` (created or truncated), killing it after `timeout`.
    public static func run(_ arguments: [String], environment: [String: String], directory: String? = nil, stdout: String, stderr: String, timeout: Duration) throws -> Outcome {
        precondition(!arguments.isEmpty, "a command needs a program")
        let argv = ["/usr/bin/env"] + (directory.map { ["-C", $0] } ?? []) + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let closeFrom = closeFromAction { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid = pid_t()
        let result = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in
                posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, cArgv, cEnvp)
            }
        }
        guard result == 0 else {
            throw LarderError(.internalError, "cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        // Killed once its time is up, unless it was reaped first (so a reused pid is never hit).
        let child = pid
        let state = Mutexed()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            state.withLock { reaped, timedOut in
                guard !reaped else { return }
                timedOut = true
                kill(child, SIGKILL)
            }
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { break }
        }
        let timedOut = state.withLock { reaped, timedOut in
            reaped = true
            return timedOut
        }
        let exited = status & 0x7f == 0
        return Outcome(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), timedOut: timedOut)
    }

    /// Runs `arguments` as `run` does, on a thread of its own (never one of Swift's cooperative
    /// threads), with output and errors in temporary files; returns the outcome and what it
    /// wrote to standard output and standard error (each at most `maxOutput` bytes).
    public static func output(
        _ arguments: [String], environment: [String: String], directory: String? = nil, timeout: Duration, maxOutput: Int = 1 << 20
    ) async throws -> (outcome: Outcome, stdout: String, stderr: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("larder-child-\(UUID().uuidString)").path
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        let outcome: Outcome = try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    continuation.resume(returning: try run(arguments, environment: environment, directory: directory, stdout: base + ".out", stderr: base + ".err", timeout: timeout))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
        func read(_ path: String) -> String {
            guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
            defer { try? handle.close() }
            return String(decoding: (try? handle.read(upToCount: maxOutput)) ?? Data(), as: UTF8.self)
        }
        return (outcome, read(base + ".out"), read(base + ".err"))
    }

    /// `posix_spawn_file_actions_addclosefrom_np`, where the C library has it (glibc 2.34).
    private static let closeFromAction: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Calls `body` with a NULL-terminated array of C strings.
    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// The child's bookkeeping shared with its timer.
    private final class Mutexed: @unchecked Sendable {
        private let lock = NSLock()
        private var reaped = false
        private var timedOut = false

        func withLock<T>(_ body: (inout Bool, inout Bool) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&reaped, &timedOut)
        }
    }
}
