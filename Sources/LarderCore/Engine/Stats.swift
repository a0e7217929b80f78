import Synchronization

/// Live counters per ecosystem, kept in memory so that counting costs a cache hit nothing but a
/// lock; the engine flushes them to the index periodically and at shutdown.
///
/// A flush moves the counters out of memory and into the index, so a reader adding the index's
/// totals to the live ones could see them in neither place (or in both) while a flush runs.
/// ``flushState`` says when that can happen: a reader whose index read and live read fall in
/// the same epoch, with no flush under way, saw each counter exactly once.
public final class Stats: Sendable {
    private struct State {
        var pending: [String: EcosystemStats] = [:]
        var epoch: UInt64 = 0
        var flushesUnderWay = 0
    }

    private let state = Mutex(State())

    /// Creates empty counters.
    public init() {}

    func record(_ ecosystem: String, _ change: (inout EcosystemStats) -> Void) {
        state.withLock { change(&$0.pending[ecosystem, default: EcosystemStats()]) }
    }

    /// Takes the counters gathered since the last call, resetting them, and marks a flush as
    /// under way until ``finishFlush(restoring:)``.
    func drain() -> [String: EcosystemStats] {
        state.withLock { state in
            defer { state.pending = [:] }
            state.epoch += 1
            state.flushesUnderWay += 1
            return state.pending
        }
    }

    /// Ends the flush that ``drain()`` began; `restoring` puts its counters back (a flush that
    /// failed to write them).
    func finishFlush(restoring counters: [String: EcosystemStats] = [:]) {
        state.withLock { state in
            for (ecosystem, value) in counters { state.pending[ecosystem, default: EcosystemStats()].add(value) }
            state.epoch += 1
            state.flushesUnderWay -= 1
        }
    }

    /// Counters gathered and not yet flushed.
    func snapshot() -> [String: EcosystemStats] { state.withLock { $0.pending } }

    /// Whether a flush is under way, and the epoch every flush's start and end change.
    var flushState: (underWay: Bool, epoch: UInt64) { state.withLock { ($0.flushesUnderWay > 0, $0.epoch) } }
}
