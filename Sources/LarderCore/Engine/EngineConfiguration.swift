/// How the engine caches and serves.
public struct EngineConfiguration: Sendable {
    /// How long metadata is served without asking upstream; 0 revalidates on every request.
    public var metadataTTL: Duration = .seconds(300)
    /// Objects up to this size are kept in memory once served, so a hit costs no file I/O.
    public var memoryObjectLimit: Int = 1 << 20
    /// Total bytes of objects (and rendered metadata) kept in memory.
    public var memoryCacheBytes: Int = 256 << 20
    /// Size of the reads used to stream large blobs.
    public var chunkSize: Int = 1 << 20
    /// Largest metadata document accepted from upstream.
    public var maxMetadataBytes: Int = 256 << 20
    /// Memory shared by all requests for metadata documents being validated, parsed or
    /// rendered (each reserves `Route.parseMemoryFactor` times its size while it is).
    public var metadataMemoryBytes: Int = 1 << 30
    /// How long a revalidation of expired metadata is awaited before the stored copy is served
    /// stale (the revalidation goes on in the background).
    public var revalidationDeadline: Duration = .seconds(2)
    /// How long a route's hit check (`verify_on_hit`) may take before the cached copy is served.
    public var hitCheckTimeout: Duration = .seconds(2)
    /// How often live counters are written to the index.
    public var statsFlushInterval: Duration = .seconds(5)
    /// How long a graceful shutdown lets running downloads finish before cancelling them.
    public var shutdownGrace: Duration = .seconds(10)

    /// The restricted upstreams (`Upstream.readers` set) of each ecosystem, by identifier and
    /// keyed by `Route.ecosystem`: routes of an ecosystem with any are fitted to the requester's
    /// `UpstreamGrant` (`Engine.scoped`).
    public var restrictedUpstreams: [String: Set<String>] = [:]

    /// The defaults.
    public init() {}
}
