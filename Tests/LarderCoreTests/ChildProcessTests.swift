import Foundation
import LarderCore
import Testing

/// Programs run with posix_spawn: status, output, time limit, a clean start.
@Suite("Child processes")
struct ChildProcessTests {
    static let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

    @Test("output, errors and the exit status come back; the working directory and environment are the given ones")
    func statusAndOutput() async throws {
        let run = try await ChildProcess.output(["sh", "-c", "echo out; echo err >&2; echo $LARDER_X; pwd; exit 3"], environment: Self.environment.merging(["LARDER_X": "given"]) { $1 }, directory: "/tmp", timeout: .seconds(30))
        #expect(run.outcome.status == 3)
        #expect(!run.outcome.timedOut)
        #expect(run.stdout == "out\ngiven\n/tmp\n")
        #expect(run.stderr == "err\n")
    }

    @Test("a program past its time is killed and says so")
    func timeout() async throws {
        let started = ContinuousClock.now
        let run = try await ChildProcess.output(["sleep", "30"], environment: Self.environment, timeout: .milliseconds(300))
        #expect(run.outcome.timedOut)
        #expect(run.outcome.status == 128 + 9)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("the child inherits no descriptor beyond its three and no blocked signals")
    func cleanStart() async throws {
        let open = FileHandle(forReadingAtPath: "/etc/hostname")
        defer { try? open?.close() }
        let run = try await ChildProcess.output(["sh", "-c", "ls /proc/self/fd | wc -l; grep SigBlk /proc/self/status"], environment: Self.environment, timeout: .seconds(30))
        let lines = run.stdout.split(separator: "\n")
        // 0, 1, 2 and the directory ls reads.
        #expect(Int(lines.first?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99 <= 4, "\(run.stdout)")
        #expect(lines.last?.hasSuffix("0000000000000000") == true, "\(run.stdout)")
    }

    @Test("a program that does not exist is a non-zero status, not a crash")
    func missing() async throws {
        let run = try await ChildProcess.output(["larder-no-such-program"], environment: Self.environment, timeout: .seconds(30))
        #expect(run.outcome.status == 127)
    }
}
