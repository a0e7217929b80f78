import Foundation
public import NIOCore

extension Engine {
    enum FillStart {
        case stored(CacheEntry)
        case fill(Fill)
    }

    /// Joins the running download of `route.key`, or starts one; `commit` says whether the asker
    /// may fill the cache. Committed fills publish their entry before leaving the table, so a
    /// request never starts a second download of a key whose first one just finished.
    func startOrJoinFill(_ route: Route, commit: Bool) -> FillStart {
        fills.withLock { table in
            if let running = table[route.key] {
                if commit { running.fill.requestCommit() }
                return .fill(running.fill)
            }
            if let entry = entries.get(route.key) { return .stored(entry) }
            let fill = Fill(key: route.key, commit: commit)
            let task = Task { await self.runFill(fill, route: route) }
            table[route.key] = (fill, task)
            return .fill(fill)
        }
    }

    /// Makes sure the artifact of `route` is stored and intact, downloading it if needed, and
    /// returns its entry and whether it had to be fetched. A stored copy is re-hashed: one that
    /// is missing or damaged is replaced, not skipped. Used by the mirror.
    public func ensureArtifact(_ route: Route) async throws -> (entry: CacheEntry, fetched: Bool) {
        let route = scoped(route)
        try await checkPolicy(route)
        // A catalog may list metadata among a package's files (an archive's index files).
        if route.kind == .metadata {
            let before = try await lookup(route.key)
            let entry = try await ensureMetadata(route)
            return (entry, before?.digest != entry.digest)
        }
        let stored = try await storedOrFetched(route)
        try Self.checkDeclared(route, stored.entry)
        return stored
    }

    private func storedOrFetched(_ route: Route) async throws -> (entry: CacheEntry, fetched: Bool) {
        if let entry = try await lookup(route.key), try await isIntact(entry) { return (entry, false) }
        switch startOrJoinFill(route, commit: true) {
        case .stored(let entry): return (entry, false)
        case .fill(let fill):
            switch try await fill.outcome() {
            case .committed(let entry, let fetched): return (entry, fetched)
            case .streamed: throw LarderError(.internalError, "\(route.key) was streamed without being stored")
            case .failed(let error): throw error
            }
        }
    }


    /// The bytes of the artifact of `route`, fetched first if needed; for small files a catalog
    /// reads (a POM), refusing one larger than `maxSize`.
    public func contents(of route: Route, maxSize: Int) async throws -> ByteBuffer {
        let (entry, _) = try await ensureArtifact(route)
        guard entry.size <= Int64(maxSize) else { throw LarderError(.upstreamFailed, "\(route.key) is larger than the \(maxSize) bytes Larder reads here") }
        guard let buffer = try await smallBlob(entry) else {
            throw LarderError(.storageFailed, "the stored file for \(route.key) was missing or damaged; it will be fetched again, try again")
        }
        return buffer
    }

    func runFill(_ fill: Fill, route: Route) async {
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
            let (source, response) = try await firstAnswer(try await route.sources())
            let url = UpstreamRequest.redact(response.url)
            guard response.status == 200 else {
                await response.body.discard()
                throw Self.statusError(response.status, url: url)
            }
            source.verifier?.begin()
            let kept = Self.keptHeaders(route, from: response)
            let contentLength = response.header("content-length").flatMap { Int64($0) }
            let limits = source.request.limits
            let staged = try await stage(
                response.body, url: url, algorithms: source.verifier?.algorithms ?? [],
                limit: limits.map { ($0.maxBytes, "\($0.setting).max_artifact_mb") }, expectedLength: contentLength,
                deadline: limits.map { (ContinuousClock.now + $0.maxDuration, "\($0.setting).max_fill_seconds") }, stagingPath: &stagingPath
            ) { file in
                fill.setFile(file)
                fill.publishHead(.success(Fill.Head(
                    contentLength: contentLength, contentType: response.header("content-type"),
                    headers: kept.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))
            } progress: { written, chunk in
                fill.publishWritten(written)
                self.stats.record(route.ecosystem) { $0.bytesFetched += Int64(chunk) }
            }
            switch try await source.verifier?.verify(StagedArtifact(path: staged.path, size: staged.size, digests: staged.digests, url: url)) {
            case .verified(let against)?:
                logger.debug("artifact verified", metadata: ["key": "\(route.key)", "against": "\(against)"])
            case .unverified(let reason)?:
                logger.info("artifact stored unverified", metadata: ["key": "\(route.key)", "reason": "\(reason)"])
            case nil:
                logger.info("artifact stored unverified", metadata: ["key": "\(route.key)", "reason": "its registry promised no digest"])
            }
            guard fill.decideCommit() else {
                unlink(staged.path)
                stagingPath = nil
                fill.finish(.streamed)
                return
            }
            let now = Date()
            let entry = CacheEntry(
                key: route.key, ecosystem: route.ecosystem, kind: .artifact, digest: staged.digests[.sha256]!, size: staged.size,
                contentType: response.header("content-type"), etag: response.header("etag"), lastModified: response.header("last-modified"),
                sourceURL: url, fetchedAt: now, storedAt: now, upstream: source.request.upstreamID, headers: kept,
                checksums: staged.digests.filter { $0.key != .sha256 })
            // Freshly verified bytes replace a stored copy of the same digest, healing one that rotted.
            try await commit(staged, entry: entry, replace: true)
            stagingPath = nil
            fill.finish(.committed(entry, fetched: true))
            logger.info("artifact stored", metadata: ["key": "\(route.key)", "size": "\(entry.size)", "sha256": "\(entry.digest)", "upstream": "\(url)"])
        } catch {
            // What is not a LarderError here came from the index: Larder's storage, not upstream.
            let mapped = (error as? LarderError) ?? LarderError(.storageFailed, "the index failed while storing \(route.key): \(error)")
            if let stagingPath { unlink(stagingPath) }
            if mapped.kind != .notFound {
                logger.warning("artifact fill failed", metadata: ["key": "\(route.key)", "error": "\(mapped.message)"])
            }
            fill.finish(.failed(mapped))
        }
    }

    /// What `stage` wrote.
    struct Staged {
        var path: String
        var file: PosixFile
        var size: Int64
        var digests: [Integrity.Algorithm: String]
    }

    /// Streams `body` into a new staging file while hashing it (SHA-256 and `algorithms`),
    /// refusing more than `limit` bytes and fewer than `expectedLength`. `opened` receives the
    /// file before the first byte, `progress` the total after each chunk. `stagingPath` holds
    /// the file's path for the caller to remove if anything fails.
    func stage(
        _ body: UpstreamBody, url: String, algorithms: Set<Integrity.Algorithm>, limit: (bytes: Int64, setting: String)?, expectedLength: Int64?,
        deadline: (at: ContinuousClock.Instant, setting: String)? = nil,
        stagingPath: inout String?, opened: (PosixFile) -> Void = { _ in }, progress: (Int64, Int) -> Void = { _, _ in }
    ) async throws -> Staged {
        if let limit, let expectedLength, expectedLength > limit.bytes {
            throw LarderError(.upstreamFailed, "upstream \(url) announced \(expectedLength) bytes, more than the \(limit.bytes) Larder accepts (\(limit.setting))")
        }
        let path = try blobs.makeStagingPath()
        stagingPath = path
        let file = try PosixFile.create(path)
        opened(file)
        var hasher = DigestAccumulator(algorithms: algorithms)
        for try await chunk in body {
            try await file.write(chunk, at: hasher.count)
            hasher.update(chunk)
            if let limit, hasher.count > limit.bytes {
                throw LarderError(.upstreamFailed, "upstream \(url) sent more than \(limit.bytes) bytes, the most Larder accepts (\(limit.setting))")
            }
            if let deadline, ContinuousClock.now > deadline.at {
                throw LarderError(.upstreamTimeout, "upstream \(url) took longer than Larder allows one download (\(deadline.setting)); \(hasher.count) bytes arrived")
            }
            progress(hasher.count, chunk.readableBytes)
        }
        if let expectedLength, expectedLength != hasher.count {
            throw LarderError(.upstreamUnreachable, "upstream \(url) sent \(hasher.count) of \(expectedLength) bytes before closing")
        }
        return Staged(path: path, file: file, size: hasher.count, digests: hasher.finalize())
    }
}
