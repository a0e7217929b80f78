import Synchronization

/// Live counters per ecosystem, kept in memory so that counting costs a cache hit nothing but a
/// lock; the engine flushes them to the index periodically and at shutdown.
public final class Stats: Sendable {
    private let pending = Mutex<[String: EcosystemStats]>([:])

    /// Creates empty counters.
    public init() {}

    func record(_ ecosystem: String, _ change: (inout EcosystemStats) -> Void) {
        pending.withLock { change(&$0[ecosystem, default: EcosystemStats()]) }
    }

    /// Takes the counters gathered since the last call, resetting them.
    func drain() -> [String: EcosystemStats] {
        pending.withLock { counters in
            defer { counters = [:] }
            return counters
        }
    }

    /// Puts drained counters back (a flush that failed).
    func restore(_ counters: [String: EcosystemStats]) {
        pending.withLock { current in
            for (ecosystem, value) in counters { current[ecosystem, default: EcosystemStats()].add(value) }
        }
    }

    /// Counters gathered and not yet flushed.
    func snapshot() -> [String: EcosystemStats] { pending.withLock { $0 } }
}
