import Foundation
import LarderCore
import Logging
import ServiceLifecycle
import Synchronization

/// The access log (`access_log`): one JSON line per request, appended to a file or written to
/// standard output. Lines are collected in memory and written by a background loop every
/// `flushInterval` (or sooner when `flushBytes` have gathered), so a request never waits on
/// the disk; a process killed hard loses at most that interval's lines. When the disk falls
/// behind by more than `maxPendingBytes`, lines are dropped and counted, and the count is
/// logged, rather than holding memory without bound.
final class AccessLog: Sendable {
    /// How often gathered lines are written.
    static let flushInterval: Duration = .milliseconds(250)
    /// Gathered bytes that wake the writer early.
    static let flushBytes = 64 << 10
    /// Most bytes held while the disk falls behind; lines beyond are dropped.
    static let maxPendingBytes = 8 << 20

    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
    }

    private let descriptor: Int32
    private let closesDescriptor: Bool
    private let pending = Mutex(Pending())
    private let logger: Logger
    /// Where the lines go, for messages.
    let destination: String

    /// Opens `destination`: `-` for standard output, otherwise a file appended to (created
    /// with mode 0640).
    init(destination: String, logger: Logger) throws(ConfigurationError) {
        self.destination = destination
        self.logger = logger
        if destination == "-" {
            descriptor = STDOUT_FILENO
            closesDescriptor = false
            return
        }
        let opened = open(destination, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard opened >= 0 else {
            throw ConfigurationError("cannot open the access log \(destination) (access_log): \(String(cString: strerror(errno)))")
        }
        descriptor = opened
        closesDescriptor = true
    }

    deinit {
        if closesDescriptor { close(descriptor) }
    }

    /// Adds a line; never blocks on the disk.
    func record(_ entry: AccessLogEntry) {
        let line = entry.encoded
        pending.withLock { pending in
            guard pending.bytes.count + line.count <= Self.maxPendingBytes else {
                pending.dropped += 1
                return
            }
            pending.bytes.append(contentsOf: line)
        }
    }

    /// Writes what has gathered; returns whether the write succeeded.
    @discardableResult
    func flush() -> Bool {
        let (bytes, dropped) = pending.withLock { pending -> ([UInt8], Int) in
            defer { pending = Pending() }
            return (pending.bytes, pending.dropped)
        }
        if dropped > 0 {
            logger.warning("access log lines dropped: the log could not be written fast enough", metadata: ["dropped": "\(dropped)", "access_log": "\(destination)"])
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                logger.error("cannot write the access log", metadata: ["access_log": "\(destination)", "error": "\(String(cString: strerror(errno)))", "lost_bytes": "\(bytes.count - offset)"])
                return false
            }
            offset += written
        }
        return true
    }

    /// Bytes gathered and not yet written.
    var pendingBytes: Int { pending.withLock { $0.bytes.count } }
}

/// Writes the access log's gathered lines in the background until the server shuts down, then
/// writes the rest.
struct AccessLogService: Service {
    let log: AccessLog

    func run() async throws {
        await withGracefulShutdownHandler {
            var waited: Duration = .zero
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: .milliseconds(25))
                waited += .milliseconds(25)
                if waited >= AccessLog.flushInterval || log.pendingBytes >= AccessLog.flushBytes {
                    log.flush()
                    waited = .zero
                }
            }
        } onGracefulShutdown: {}
        log.flush()
    }
}
