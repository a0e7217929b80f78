public import ServiceLifecycle

/// Runs the engine's background work (statistics flushing) as a service and shuts the engine
/// down gracefully with the rest of the server.
public struct EngineService: Service {
    let engine: Engine

    /// Wraps `engine`.
    public init(engine: Engine) { self.engine = engine }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var rounds = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: engine.configuration.statsFlushInterval)
                // At shutdown the sleep ends early: the engine's shutdown writes the counters.
                if Task.isCancelled { break }
                await engine.flushStats()
                rounds += 1
                // Now and then: staging files left by processes killed since the start.
                if rounds % 60 == 0 { engine.removeAbandonedStaging() }
            }
        }
        await engine.shutdown()
    }
}
