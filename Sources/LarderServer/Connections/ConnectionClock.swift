import Logging
import NIOCore

/// One connection's stage and the deadline it sets (see `ConnectionTimeouts`), closing the
/// connection when the deadline passes. It lives on the connection's event loop; the two
/// watchers feed it, one seeing raw bytes, the other HTTP parts.
final class ConnectionClock {
    private let timeouts: ConnectionTimeouts
    private let channel: any Channel
    private let logger: Logger
    /// A request's body is being read.
    private var readingBody = false
    /// Requests whose response has not ended.
    private var pendingResponses = 0
    /// When the first byte of a request head arrived, while the head is incomplete.
    private var headStartedAt: NIODeadline?
    private var lastBodyRead = NIODeadline.now()
    private var idleSince = NIODeadline.now()
    /// Whether a response has ended: from then on, idleness is keep-alive.
    private var answered = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(timeouts: ConnectionTimeouts, channel: any Channel, logger: Logger) {
        self.timeouts = timeouts
        self.channel = channel
        self.logger = logger
    }

    /// The connection opened: it has the header timeout to send a request.
    func opened() {
        idleSince = .now()
        reschedule()
    }

    /// Bytes arrived from the client.
    func bytesArrived() {
        if readingBody {
            lastBodyRead = .now()
        } else if headStartedAt == nil {
            headStartedAt = .now()
            reschedule()
        }
    }

    /// A request head was decoded.
    func headArrived() {
        headStartedAt = nil
        readingBody = true
        lastBodyRead = .now()
        pendingResponses += 1
        reschedule()
    }

    /// A request ended.
    func requestEnded() {
        readingBody = false
        reschedule()
    }

    /// A response ended.
    func responseEnded() {
        pendingResponses = max(0, pendingResponses - 1)
        if pendingResponses == 0 {
            idleSince = .now()
            answered = true
        }
        reschedule()
    }

    /// The connection closed.
    func closed() {
        timer?.cancel()
        timer = nil
    }

    /// When the connection is closed if nothing happens; nil while a response is being written.
    private var deadline: NIODeadline? {
        if readingBody { return lastBodyRead + TimeAmount(timeouts.body) }
        if let headStartedAt { return headStartedAt + TimeAmount(timeouts.header) }
        if pendingResponses > 0 { return nil }
        return idleSince + TimeAmount(answered ? timeouts.keepAlive : timeouts.header)
    }

    /// Arms the timer for the current deadline unless one fires no later (a timer that fires
    /// early looks again; one that is too late would let a stage overrun).
    private func reschedule() {
        guard let deadline, channel.isActive else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = channel.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in fire() }
    }

    private func fire() {
        timer = nil
        timerDeadline = nil
        guard let deadline else { return }
        guard deadline <= .now() else { return reschedule() }
        let stage = readingBody ? "body" : headStartedAt != nil ? "header" : answered ? "keep-alive" : "first request"
        logger.debug("closing a client connection that overran its timeout", metadata: ["stage": "\(stage)", "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
        channel.close(promise: nil)
    }
}
