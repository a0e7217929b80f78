public import ServiceLifecycle

/// Runs the engine's background work (statistics flushing) as a service and shuts the engine
/// down gracefully with the rest of the server.
public struct EngineService: Service {
    let engine: Engine

    /// Wraps `engine`.
    public init(engine: Engine) { self.engine = engine }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: engine.configuration.statsFlushInterval)
                await engine.flushStats()
            }
        }
        await engine.shutdown()
    }
}
