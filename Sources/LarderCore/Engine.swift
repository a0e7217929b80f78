import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The caching engine: given a `Route`, it answers from the cache or fills the cache from
/// upstream, verifying, committing, revalidating and serving stale as the route's kind demands.
/// It knows nothing of any ecosystem.
public final class Engine: Sendable {
    let index: any CacheIndex
    let blobs: any BlobStore
    let upstream: Upstream
    /// The engine's settings.
    public let configuration: EngineConfiguration
    let logger: Logger
    /// Live counters.
    public let stats = Stats()

    /// Entries by key, so a hit needs no database query.
    let entries: LRUCache<String, CacheEntry>
    /// Small blobs by digest, so a hit needs no file I/O.
    let hot: LRUCache<String, ByteBuffer>
    /// Rendered metadata by key, stored digest and presenter variant.
    let rendered: LRUCache<String, Presentation>

    /// Bytes of one response that may wait in the server's queues before reading pauses.
    static let inFlightLimit = 4 << 20

    private let fills = Mutex<[String: (fill: Fill, task: Task<Void, Never>)]>([:])
    private let metadataFlights = Mutex<[String: Task<MetadataDocument, any Error>]>([:])
    private let accepting = Mutex(true)

    /// Creates an engine over an index, a blob store and an upstream client, and removes any
    /// staging files a crash left behind.
    public init(index: any CacheIndex, blobs: any BlobStore, upstream: Upstream, configuration: EngineConfiguration = EngineConfiguration(), logger: Logger = Logger(label: "larder.engine")) {
        self.index = index
        self.blobs = blobs
        self.upstream = upstream
        self.configuration = configuration
        self.logger = logger
        self.entries = LRUCache(capacity: 200_000)
        // The memory budget is shared: three quarters for small blobs, a quarter for rendered metadata.
        self.hot = LRUCache(capacity: configuration.memoryCacheBytes / 4 * 3)
        self.rendered = LRUCache(capacity: max(configuration.memoryCacheBytes / 4, 1 << 20))
        do {
            let removed = try blobs.removeLeftovers()
            if removed > 0 { logger.notice("removed staging files left by an earlier run", metadata: ["count": "\(removed)"]) }
        } catch {
            logger.error("could not clean staging files", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Serving

    /// Answers a client's request for `route`.
    public func serve(_ route: Route, request: ClientRequest) async -> EngineResponse {
        do {
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
            return .error(mapped)
        }
    }

    /// The cache entry for `key`, from memory or the index.
    public func lookup(_ key: String) async throws -> CacheEntry? {
        if let entry = entries.get(key) { return entry }
        guard let entry = try await index.entry(forKey: key) else { return nil }
        entries.set(key, entry)
        return entry
    }

    private func serveArtifact(_ route: Route, request: ClientRequest) async throws -> EngineResponse {
        let isHead = request.method == .head
        if let entry = try await lookup(route.key), let response = try await serveStored(entry, route: route, request: request) {
            stats.record(route.ecosystem) { s in
                s.hits += 1
                if !isHead && response.status == 200 { s.bytesServedFromCache += entry.size }
            }
            return response
        }
        switch startOrJoinFill(route) {
        case .stored(let entry):
            if let response = try await serveStored(entry, route: route, request: request) { return response }
            throw LarderError(.internalError, "blob for \(route.key) vanished while being served")
        case .fill(let fill):
            stats.record(route.ecosystem) { $0.misses += 1 }
            let head: Fill.Head
            switch await fill.head() {
            case .success(let h): head = h
            case .failure(let error): throw error
            }
            if let stored = head.stored, let response = try await serveStored(stored, route: route, request: request) {
                return response
            }
            var headers: [(String, String)] = [("Content-Type", route.contentType), ("X-Larder-Cache", "MISS")]
            if let length = head.contentLength { headers.append(("Content-Length", "\(length)")) }
            if isHead { return EngineResponse(status: 200, headers: headers) }
            return EngineResponse(status: 200, headers: headers, body: .stream(fill.chunks(length: head.contentLength, chunkSize: 64 << 10).limitingInFlight(to: Engine.inFlightLimit)))
        }
    }

    /// Serves a committed entry; nil when its blob is gone (the entry is then dropped).
    private func serveStored(_ entry: CacheEntry, route: Route, request: ClientRequest) async throws -> EngineResponse? {
        let etag = "\"\(entry.digest)\""
        var headers: [(String, String)] = [
            ("ETag", etag),
            ("Last-Modified", HTTPDate.format(entry.storedAt)),
            ("Cache-Control", "public, max-age=31536000, immutable"),
            ("X-Larder-Cache", "HIT"),
        ]
        if Conditional.notModified(request, etag: etag, lastModified: entry.storedAt) {
            return EngineResponse(status: 304, headers: headers)
        }
        headers.insert(("Content-Type", route.contentType), at: 0)
        headers.append(("Content-Length", "\(entry.size)"))
        if request.method == .head { return EngineResponse(status: 200, headers: headers) }
        do {
            guard let body = try await body(of: entry) else {
                try? await dropEntry(entry)
                return nil
            }
            return EngineResponse(status: 200, headers: headers, body: body)
        }
    }

    /// The stored bytes of `entry`: from memory when small, streamed otherwise; nil when missing.
    private func body(of entry: CacheEntry) async throws -> EngineResponse.Body? {
        if let buffer = hot.get(entry.digest) { return .buffer(buffer) }
        if entry.size <= Int64(configuration.memoryObjectLimit) {
            guard let buffer = try await blobs.readAll(digest: entry.digest, maxSize: configuration.memoryObjectLimit) else { return nil }
            hot.set(entry.digest, buffer, cost: buffer.readableBytes)
            return .buffer(buffer)
        }
        guard let chunks = try await blobs.read(digest: entry.digest, chunkSize: configuration.chunkSize) else { return nil }
        return .stream(chunks.limitingInFlight(to: Engine.inFlightLimit))
    }

    private func dropEntry(_ entry: CacheEntry) async throws {
        logger.warning("blob missing for cached entry; it will be fetched again", metadata: ["key": "\(entry.key)", "digest": "\(entry.digest)"])
        entries.remove(entry.key)
        try await index.remove(key: entry.key)
    }

    // MARK: Filling artifacts

    private enum FillStart {
        case stored(CacheEntry)
        case fill(Fill)
    }

    /// Joins the running download of `route.key`, or starts one. Committed fills publish their
    /// entry before leaving the table, so a request never starts a second download of a key
    /// whose first one just finished.
    private func startOrJoinFill(_ route: Route) -> FillStart {
        fills.withLock { table in
            if let running = table[route.key] { return .fill(running.fill) }
            if let entry = entries.get(route.key) { return .stored(entry) }
            let fill = Fill(key: route.key)
            let task = Task { await self.runFill(fill, route: route) }
            table[route.key] = (fill, task)
            return .fill(fill)
        }
    }

    /// Makes sure the artifact of `route` is stored, downloading it if needed, and returns its
    /// entry and whether it had to be fetched. Used by the mirror.
    public func ensureArtifact(_ route: Route) async throws -> (entry: CacheEntry, fetched: Bool) {
        if let entry = try await lookup(route.key), try await blobs.size(ofDigest: entry.digest) != nil {
            return (entry, false)
        }
        switch startOrJoinFill(route) {
        case .stored(let entry): return (entry, false)
        case .fill(let fill):
            switch try await fill.outcome() {
            case .committed(let entry, let fetched): return (entry, fetched)
            case .failed(let error): throw error
            }
        }
    }

    private func runFill(_ fill: Fill, route: Route) async {
        var stagingPath: String?
        var lock: (any FillLock)?
        defer {
            // The entry is published before the fill leaves the table (see startOrJoinFill);
            // the cross-process lock goes last.
            fills.withLock { _ = $0.removeValue(forKey: route.key) }
            lock?.release()
        }
        do {
            guard accepting.withLock({ $0 }) else { throw LarderError(.shuttingDown, "Larder is shutting down") }
            // Another process sharing the store may be filling the key, or may have filled it.
            lock = try await blobs.lockFill(key: route.key)
            if let entry = try await index.entry(forKey: route.key), try await blobs.size(ofDigest: entry.digest) != nil {
                entries.set(route.key, entry)
                fill.publishHead(.success(Fill.Head(contentLength: entry.size, stored: entry)))
                fill.finish(.committed(entry, fetched: false))
                return
            }
            let origin = try await route.origin()
            let response = try await upstream.send(origin.request)
            guard response.status == 200 else {
                throw statusError(response.status, url: origin.request.displayURL)
            }
            let contentLength = response.header("content-length").flatMap { Int64($0) }
            let path = try blobs.makeStagingPath()
            stagingPath = path
            let file = try PosixFile.create(path)
            fill.setFile(file)
            fill.publishHead(.success(Fill.Head(contentLength: contentLength)))

            var hasher = DigestAccumulator(promised: origin.integrity?.algorithm)
            do {
                for try await chunk in response.body {
                    try await file.write(chunk, at: hasher.count)
                    hasher.update(chunk)
                    fill.publishWritten(hasher.count)
                    stats.record(route.ecosystem) { $0.bytesFetched += Int64(chunk.readableBytes) }
                }
            } catch {
                throw Upstream.map(error, url: origin.request.displayURL)
            }
            if let contentLength, contentLength != hasher.count {
                throw LarderError(.upstreamUnreachable, "upstream \(origin.request.displayURL) sent \(hasher.count) of \(contentLength) bytes before closing")
            }
            let digests = hasher.finalize(promised: origin.integrity?.algorithm)
            if let promised = origin.integrity, promised.hex != digests.promised {
                throw LarderError(.integrityMismatch, "upstream \(origin.request.displayURL) served bytes with \(promised.algorithm.rawValue) \(digests.promised ?? "?"), but its registry promised \(promised.hex); not stored")
            }
            if origin.integrity == nil {
                logger.info("artifact has no promised digest; stored unverified", metadata: ["key": "\(route.key)"])
            }
            try await file.sync()
            try await blobs.ingest(stagingPath: path, digest: digests.sha256)
            stagingPath = nil
            let now = Date()
            let entry = CacheEntry(
                key: route.key, ecosystem: route.ecosystem, kind: .artifact, digest: digests.sha256, size: hasher.count,
                contentType: response.header("content-type"), etag: response.header("etag"), lastModified: response.header("last-modified"),
                sourceURL: origin.request.displayURL, fetchedAt: now, storedAt: now)
            try await index.put(entry)
            entries.set(route.key, entry)
            fill.finish(.committed(entry, fetched: true))
            logger.info("artifact stored", metadata: ["key": "\(route.key)", "size": "\(entry.size)", "sha256": "\(entry.digest)"])
        } catch {
            let mapped = (error as? LarderError) ?? Upstream.map(error, url: route.key)
            if let stagingPath { unlink(stagingPath) }
            if mapped.kind != .notFound {
                logger.warning("artifact fill failed", metadata: ["key": "\(route.key)", "error": "\(mapped.message)"])
            }
            fill.finish(.failed(mapped))
        }
    }

    private func statusError(_ status: Int, url: String) -> LarderError {
        switch status {
        case 404, 410: LarderError(.notFound, "upstream \(url) answered \(status): not found")
        case 401, 403: LarderError(.upstreamFailed, "upstream \(url) answered \(status): check the upstream's credentials in Larder's configuration")
        default: LarderError(.upstreamFailed, "upstream \(url) answered \(status)")
        }
    }

    // MARK: Metadata

    /// The metadata document of `route`: cached and fresh, revalidated, fetched, or stale when
    /// upstream is down. Adapters call this to resolve artifacts; it counts no hits or misses.
    public func metadata(_ route: Route) async throws -> MetadataDocument {
        if let entry = try await lookup(route.key), let body = try await storedMetadataBody(entry) {
            let age = Date().timeIntervalSince(entry.fetchedAt)
            let ttl = Double(configuration.metadataTTL.components.seconds)
            if age >= 0 && age < ttl {
                return MetadataDocument(body: body, contentType: entry.contentType, sourceURL: entry.sourceURL, entry: entry, isStale: false, source: .cache)
            }
            return try await refreshMetadata(route, existing: (entry, body))
        }
        return try await refreshMetadata(route, existing: nil)
    }

    private func storedMetadataBody(_ entry: CacheEntry) async throws -> ByteBuffer? {
        if let buffer = hot.get(entry.digest) { return buffer }
        guard let buffer = try await blobs.readAll(digest: entry.digest, maxSize: configuration.maxMetadataBytes) else {
            try? await dropEntry(entry)
            return nil
        }
        hot.set(entry.digest, buffer, cost: buffer.readableBytes)
        return buffer
    }

    /// One revalidation or fetch per key at a time; concurrent callers share it.
    private func refreshMetadata(_ route: Route, existing: (CacheEntry, ByteBuffer)?) async throws -> MetadataDocument {
        let task = metadataFlights.withLock { flights in
            if let running = flights[route.key] { return running }
            let task = Task<MetadataDocument, any Error> {
                defer { _ = self.metadataFlights.withLock { $0.removeValue(forKey: route.key) } }
                return try await self.fetchMetadata(route, existing: existing)
            }
            flights[route.key] = task
            return task
        }
        return try await task.value
    }

    private func fetchMetadata(_ route: Route, existing: (entry: CacheEntry, body: ByteBuffer)?) async throws -> MetadataDocument {
        let origin = try await route.origin()
        var request = origin.request
        if let existing {
            if let etag = existing.entry.etag { request.headers.append(("If-None-Match", etag)) }
            if let lastModified = existing.entry.lastModified { request.headers.append(("If-Modified-Since", lastModified)) }
        }
        func stale(_ reason: LarderError) throws -> MetadataDocument {
            guard let existing else { throw reason }
            logger.warning("upstream unavailable; serving stale metadata", metadata: ["key": "\(route.key)", "error": "\(reason.message)"])
            return MetadataDocument(body: existing.body, contentType: existing.entry.contentType, sourceURL: existing.entry.sourceURL, entry: existing.entry, isStale: true, source: .stale)
        }
        let response: UpstreamResponse
        do {
            response = try await upstream.send(request)
        } catch {
            return try stale(error)
        }
        switch response.status {
        case 304 where existing != nil:
            let now = Date()
            var entry = existing!.entry
            entry.fetchedAt = now
            try await index.touch(key: route.key, fetchedAt: now)
            entries.set(route.key, entry)
            return MetadataDocument(body: existing!.body, contentType: entry.contentType, sourceURL: entry.sourceURL, entry: entry, isStale: false, source: .revalidated)
        case 200:
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: configuration.maxMetadataBytes)
            } catch {
                return try stale(Upstream.map(error, url: request.displayURL))
            }
            stats.record(route.ecosystem) { $0.bytesFetched += Int64(body.readableBytes) }
            let entry = try await storeMetadata(route, body: body, response: response, url: request.displayURL, replacing: existing?.entry)
            return MetadataDocument(body: body, contentType: entry.contentType, sourceURL: entry.sourceURL, entry: entry, isStale: false, source: .fetched)
        case 404, 410:
            if let existing {
                entries.remove(route.key)
                try await index.remove(key: route.key)
                try await deleteIfUnreferenced(existing.entry.digest)
            }
            throw statusError(response.status, url: request.displayURL)
        default:
            return try stale(statusError(response.status, url: request.displayURL))
        }
    }

    private func storeMetadata(_ route: Route, body: ByteBuffer, response: UpstreamResponse, url: String, replacing old: CacheEntry?) async throws -> CacheEntry {
        let digest = body.withUnsafeReadableBytes { bytes in var h = SHA256(); h.update(bufferPointer: bytes); return h.finalize() }.hexDigest
        if try await blobs.size(ofDigest: digest) == nil {
            let path = try blobs.makeStagingPath()
            do {
                let file = try PosixFile.create(path)
                try await file.write(body, at: 0)
                try await file.sync()
                try await blobs.ingest(stagingPath: path, digest: digest)
            } catch {
                unlink(path)
                throw error
            }
        }
        let now = Date()
        let entry = CacheEntry(
            key: route.key, ecosystem: route.ecosystem, kind: .metadata, digest: digest, size: Int64(body.readableBytes),
            contentType: response.header("content-type"), etag: response.header("etag"), lastModified: response.header("last-modified"),
            sourceURL: url, fetchedAt: now, storedAt: old?.digest == digest ? old!.storedAt : now)
        try await index.put(entry)
        entries.set(route.key, entry)
        hot.set(digest, body, cost: body.readableBytes)
        if let old, old.digest != digest { try await deleteIfUnreferenced(old.digest) }
        return entry
    }

    private func deleteIfUnreferenced(_ digest: String) async throws {
        if try await index.references(toDigest: digest) == 0 {
            hot.remove(digest)
            try await blobs.delete(digest: digest)
        }
    }

    private func serveMetadata(_ route: Route, request: ClientRequest) async throws -> EngineResponse {
        guard let presenter = route.presenter else {
            throw LarderError(.internalError, "metadata route \(route.key) has no presenter")
        }
        let document = try await metadata(route)
        stats.record(route.ecosystem) { s in
            switch document.source {
            case .cache, .revalidated: s.hits += 1
            case .stale: s.hits += 1; s.staleServed += 1
            case .fetched: s.misses += 1
            }
        }
        let memoKey = "\(route.key)\u{0}\(document.entry.digest)\u{0}\(presenter.variant)"
        let presentation: Presentation
        if let memo = rendered.get(memoKey) {
            presentation = memo
        } else {
            presentation = try presenter.render(document)
            rendered.set(memoKey, presentation, cost: presentation.body.readableBytes + memoKey.utf8.count)
        }
        let etag = "\"m-" + SHA256.hash(data: Data(memoKey.utf8)).prefix(16).hexDigest + "\""
        let lastModified = document.entry.lastModified.flatMap(HTTPDate.parse) ?? document.entry.storedAt
        let ttl = configuration.metadataTTL.components.seconds
        var headers: [(String, String)] = [
            ("ETag", etag),
            ("Last-Modified", HTTPDate.format(lastModified)),
            ("Cache-Control", ttl > 0 ? "public, max-age=\(ttl)" : "no-cache"),
            ("Vary", "Accept"),
            ("X-Larder-Cache", document.source == .fetched ? "MISS" : (document.isStale ? "STALE" : "HIT")),
        ]
        if document.isStale { headers.append(("Warning", "110 - \"Response is Stale\"")) }
        if Conditional.notModified(request, etag: etag, lastModified: lastModified) {
            return EngineResponse(status: 304, headers: headers)
        }
        headers.insert(("Content-Type", presentation.contentType), at: 0)
        headers.append(("Content-Length", "\(presentation.body.readableBytes)"))
        if request.method != .head {
            stats.record(route.ecosystem) { $0.bytesServedFromCache += Int64(presentation.body.readableBytes) }
        }
        return EngineResponse(status: 200, headers: headers, body: request.method == .head ? .empty : .buffer(presentation.body))
    }

    // MARK: Pass-through

    private static let forwardedResponseHeaders = ["content-type", "content-encoding", "content-length", "cache-control", "etag", "last-modified"]

    private func passThrough(_ route: Route) async throws -> EngineResponse {
        let origin = try await route.origin()
        let response = try await upstream.send(origin.request, deadline: upstream.timeouts.passthrough)
        let headers = response.headers.filter { Engine.forwardedResponseHeaders.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        // The upstream body can be read once: every iteration shares one iterator.
        let iterator = HTTPClientResponseIterator(response.body.makeAsyncIterator())
        let url = origin.request.displayURL
        let body = ByteChunks(length: response.header("content-length").flatMap { Int64($0) }) {
            return {
                do {
                    return try await iterator.next()
                } catch {
                    throw Upstream.map(error, url: url)
                }
            }
        }
        return EngineResponse(status: response.status, headers: headers + [("X-Larder-Cache", "PASS")], body: .stream(body))
    }

    // MARK: Statistics

    /// Persisted and live counters per ecosystem.
    public func currentStats() async throws -> [String: EcosystemStats] {
        var totals = try await index.stats()
        for (ecosystem, live) in stats.snapshot() {
            var merged = live
            merged.objects = 0
            merged.storedBytes = 0
            totals[ecosystem, default: EcosystemStats()].add(merged)
        }
        return totals
    }

    /// Writes live counters to the index.
    public func flushStats() async {
        let drained = stats.drain()
        guard !drained.isEmpty else { return }
        do {
            try await index.addCounters(drained)
        } catch {
            stats.restore(drained)
            logger.warning("could not write statistics to the index", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Shutdown

    /// Stops starting downloads, lets running ones finish within the grace period, cancels the
    /// rest (their staging files are removed), and writes the counters.
    public func shutdown() async {
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

/// A box making the HTTP client's body iterator usable from a `ByteChunks` producer.
final class HTTPClientResponseIterator: @unchecked Sendable {
    private var base: HTTPClientResponse.Body.AsyncIterator
    init(_ base: HTTPClientResponse.Body.AsyncIterator) { self.base = base }
    func next() async throws -> ByteBuffer? { try await base.next() }
}

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
