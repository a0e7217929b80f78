import Foundation
public import Logging
import NIOCore
import Synchronization

/// The caching engine: given a `Route`, it answers from the cache or fills the cache from
/// upstream, verifying, committing, revalidating and serving stale as the route's kind demands.
/// It knows nothing of any ecosystem.
public final class Engine: Sendable {
    let index: any CacheIndex
    let blobs: any BlobStore
    /// The client every upstream request goes through (adapters' hit checks use it too).
    public let upstream: UpstreamClient
    /// The engine's settings.
    public let configuration: EngineConfiguration
    let logger: Logger
    /// Live counters.
    public let stats = Stats()
    /// The package rules every route naming its package is checked against; nil allows all.
    public let policy: (any PackagePolicy)?

    /// Entries by key, so a hit needs no database query.
    let entries: LRUCache<String, CacheEntry>
    /// Small blobs by digest, so a hit needs no file I/O.
    let hot: LRUCache<String, ByteBuffer>
    /// Memory for metadata documents being validated, parsed or rendered, shared by all requests.
    let metadataMemory: MemoryBudget

    /// Bytes of one response that may wait in the server's queues before reading pauses.
    static let inFlightLimit = 4 << 20

    let fills = Mutex<[String: (fill: Fill, task: Task<Void, Never>)]>([:])
    let metadataFlights = Mutex<[String: Task<(CacheEntry, MetadataDocument.Provenance), any Error>]>([:])
    /// For documents whose renderings depend on versions' ages: the moment the current
    /// rendering was made as of and until when it stays right, by document, variant and rules.
    let agedRenderings = LRUCache<String, AgedRendering>(capacity: 100_000)
    /// Renderings being made, by key: concurrent requests for one share the work.
    let renderFlights = Mutex<[String: Task<CacheEntry?, any Error>]>([:])
    /// Hit checks in progress, by key and blob: hits that arrive meanwhile share the answer.
    let hitChecks = Mutex<[String: Task<HitDecision, Never>]>([:])
    let accepting = Mutex(true)
    /// What each grant sees of each ecosystem with restricted upstreams, by ecosystem and grant
    /// tag (`scoped`): worked out once, not per request.
    let views = Mutex<[String: UpstreamView]>([:])

    /// Creates an engine over an index, a blob store and an upstream client, and removes any
    /// staging files a crash left behind.
    public init(index: any CacheIndex, blobs: any BlobStore, upstream: UpstreamClient, configuration: EngineConfiguration = EngineConfiguration(), logger: Logger = Logger(label: "larder.engine"),
        policy: (any PackagePolicy)? = nil
    ) {
        self.policy = policy
        self.index = index
        self.blobs = blobs
        self.upstream = upstream
        self.configuration = configuration
        self.logger = logger
        self.entries = LRUCache(capacity: 200_000)
        // Small blobs: artifacts, documents and their renderings alike.
        self.hot = LRUCache(capacity: configuration.memoryCacheBytes)
        self.metadataMemory = MemoryBudget(capacity: configuration.metadataMemoryBytes)
        do {
            let removed = try blobs.removeLeftovers()
            if removed > 0 { logger.notice("removed staging files left by an earlier run", metadata: ["count": "\(removed)"]) }
        } catch {
            logger.error("could not clean staging files", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Serving

    /// Answers a client's request for `route`; failures are thrown for the adapter to present
    /// in its protocol's error format.
    public func serve(_ route: Route, request: ClientRequest) async throws(LarderError) -> EngineResponse {
        let route = scoped(route)
        do {
            try await checkPolicy(route)
            switch route.kind {
            case .artifact: return try await serveArtifact(route, request: request)
            case .metadata: return try await serveMetadata(route, request: request)
            case .passthrough: return try await passThrough(route)
            }
        } catch {
            let mapped = (error as? LarderError) ?? LarderError(.internalError, "\(error)")
            if mapped.status >= 500 {
                logger.warning("request failed", metadata: ["key": "\(route.key)", "status": "\(mapped.status)", "error": "\(mapped.message)"])
            }
            throw mapped
        }
    }

    /// Refuses a route whose package (or version) the package rules do not allow, with the
    /// rule's reason (403).
    public func checkPolicy(_ route: Route) async throws(LarderError) {
        guard let policy, let package = route.package else { return }
        let verdict: PolicyVerdict
        if package.version != nil, policy.ages(ecosystem: route.ecosystem) {
            do {
                var admitted = try await policy.admission(ecosystem: route.ecosystem, package: package)
                if case .refused(let reason) = admitted {
                    switch try await dateUnseenVersion(route, package: package, policy: policy) {
                    case .alreadyKnown: break
                    case .dated: admitted = try await policy.admission(ecosystem: route.ecosystem, package: package)
                    case .failed(let failure): admitted = .refused("\(reason) (reading its package's metadata failed: \(failure))")
                    }
                }
                verdict = admitted
            } catch {
                throw (error as? LarderError) ?? LarderError(.storageFailed, "could not read the version history of \(package): \(error)")
            }
        } else {
            verdict = policy.verdict(ecosystem: route.ecosystem, package: package)
        }
        if case .refused(let reason) = verdict { throw LarderError(.forbidden, reason) }
    }

    /// The cache entry for `key`, from memory or the index.
    public func lookup(_ key: String) async throws -> CacheEntry? {
        if let entry = entries.get(key) { return entry }
        guard let entry = try await index.entry(forKey: key) else { return nil }
        entries.set(key, entry)
        return entry
    }

    /// Removes the entries stored for `route` in every view and their blobs when nothing else
    /// refers to them (a revoked version purged); returns the removed entries.
    public func purgeCopies(of route: Route) async throws -> [CacheEntry] {
        let copies = try await storedCopies(of: route)
        for entry in copies {
            hot.remove(entry.digest)
            await discard(entry)
        }
        return copies
    }

    /// Forgets `entry` (from memory, and from the index if it still points at the same blob) and
    /// deletes its blob when nothing else refers to it.
    func discard(_ entry: CacheEntry) async {
        entries.remove(entry.key)
        do {
            try await index.remove(key: entry.key, ifDigest: entry.digest)
            try await deleteIfUnreferenced(entry.digest)
        } catch {
            logger.warning("could not remove a cache entry", metadata: ["key": "\(entry.key)", "error": "\(error)"])
        }
    }

    /// Deletes blob `digest` if no entry refers to it, checking under the blob's lock so that a
    /// commit of the same bytes (another key, another process) cannot slip in between.
    func deleteIfUnreferenced(_ digest: String) async throws {
        let lock = try await blobs.lockBlob(digest: digest)
        defer { lock.release() }
        if try await index.references(toDigest: digest) == 0 {
            hot.remove(digest)
            try await blobs.delete(digest: digest)
        }
    }

    /// Moves a verified staging file into the store and indexes `entry`, under the blob's lock
    /// (see `deleteIfUnreferenced`). With `replace` false, bytes already stored under the same
    /// digest are kept and the staging file removed.
    func commit(_ staged: Staged, entry: CacheEntry, replace: Bool) async throws {
        let lock = try await blobs.lockBlob(digest: entry.digest)
        defer { lock.release() }
        if !replace, try await blobs.size(ofDigest: entry.digest) == entry.size {
            unlink(staged.path)
        } else {
            try await staged.file.sync()
            try await blobs.ingest(stagingPath: staged.path, digest: entry.digest)
        }
        try await index.put(entry)
        entries.set(entry.key, entry)
    }

    /// Removes staging files whose process is gone (a killed `larder mirror` beside a running
    /// server); those of live processes stay.
    public func removeAbandonedStaging() {
        do {
            let removed = try blobs.removeLeftovers()
            if removed > 0 { logger.notice("removed staging files of processes that are gone", metadata: ["count": "\(removed)"]) }
        } catch {
            logger.warning("could not clean staging files", metadata: ["error": "\(error)"])
        }
    }

    /// Moves a damaged blob out of the store, forgets the entry, logs and counts it; the next
    /// request fetches it anew.
    func quarantine(_ entry: CacheEntry, reason: String) async {
        logger.error("stored blob is damaged; quarantined, and it will be fetched again", metadata: [
            "key": "\(entry.key)", "digest": "\(entry.digest)", "reason": "\(reason)",
        ])
        stats.record(entry.ecosystem) { $0.corruptBlobs += 1 }
        entries.remove(entry.key)
        hot.remove(entry.digest)
        do {
            try await blobs.quarantine(digest: entry.digest)
            try await index.remove(key: entry.key, ifDigest: entry.digest)
        } catch {
            logger.error("could not quarantine a damaged blob", metadata: ["digest": "\(entry.digest)", "error": "\(error)"])
        }
    }

    /// Drops an entry whose blob vanished from under it, so it is fetched again.
    func dropMissing(_ entry: CacheEntry) async {
        logger.warning("blob missing for cached entry; it will be fetched again", metadata: ["key": "\(entry.key)", "digest": "\(entry.digest)"])
        entries.remove(entry.key)
        _ = try? await index.remove(key: entry.key, ifDigest: entry.digest)
    }

    // MARK: Statistics

    /// Persisted and live counters per ecosystem, each counted once: the index and the live
    /// counters are read within one flush epoch (a read that a flush overlaps is repeated).
    public func currentStats() async throws -> [String: EcosystemStats] {
        for attempt in 0..<200 {
            let before = stats.flushState
            if before.underWay, attempt < 199 {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            var totals = try await index.stats()
            let live = stats.snapshot()
            if stats.flushState.epoch != before.epoch, attempt < 199 { continue }
            for (ecosystem, counters) in live {
                var merged = counters
                merged.objects = 0
                merged.storedBytes = 0
                totals[ecosystem, default: EcosystemStats()].add(merged)
            }
            return totals
        }
        return try await index.stats()
    }

    /// Writes live counters to the index.
    public func flushStats() async {
        let drained = stats.drain()
        guard !drained.isEmpty else { return stats.finishFlush() }
        do {
            try await index.addCounters(drained)
            stats.finishFlush()
        } catch {
            stats.finishFlush(restoring: drained)
            logger.warning("could not write statistics to the index", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Shutdown

    /// Stops starting downloads, lets running ones finish within the grace period, cancels the
    /// rest (their staging files are removed), and writes the counters. It runs to its end even
    /// when the task asking for it is cancelled (a second signal): the counters are written
    /// and the grace period is waited out, not skipped.
    public func shutdown() async {
        await Task { await self.shutdownSteps() }.value
    }

    private func shutdownSteps() async {
        accepting.withLock { $0 = false }
        let deadline = ContinuousClock.now + configuration.shutdownGrace
        while !fills.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let running = fills.withLock { $0.values.map(\.task) }
        for task in running { task.cancel() }
        for task in running { await task.value }
        await flushStats()
    }

    /// The number of downloads in progress.
    public var activeFills: Int { fills.withLock { $0.count } }
}
