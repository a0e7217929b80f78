import Crypto
import Foundation
import NIOCore

extension Engine {
    func serveArtifact(_ route: Route, request: ClientRequest) async throws -> EngineResponse {
        let isHead = request.method == .head
        if let entry = try await lookup(route.key) {
            try Self.checkDeclared(route, entry)
            if let check = route.hitCheck, await sharedHitCheck(check, entry: entry) == .replace {
                logger.info("upstream has different content now; replacing the cached copy", metadata: ["key": "\(route.key)", "upstream": "\(entry.sourceURL)"])
                await discard(entry)
            } else if let response = try await serveStored(entry, route: route, request: request) {
                stats.record(route.ecosystem) { s in
                    s.hits += 1
                    if !isHead && response.status / 100 == 2 { s.bytesServedFromCache += entry.size }
                }
                return response
            }
        }
        if isHead, !fills.withLock({ $0[route.key] != nil }), let response = try await headFromUpstream(route) {
            stats.record(route.ecosystem) { $0.misses += 1 }
            return response
        }
        switch startOrJoinFill(route, commit: request.populate) {
        case .stored(let entry):
            try Self.checkDeclared(route, entry)
            if let response = try await serveStored(entry, route: route, request: request) { return response }
            throw LarderError(.internalError, "blob for \(route.key) vanished while being served")
        case .fill(let fill):
            stats.record(route.ecosystem) { $0.misses += 1 }
            let head: Fill.Head
            switch await fill.head() {
            case .success(let h): head = h
            case .failure(let error): throw error
            }
            if let stored = head.stored { try Self.checkDeclared(route, stored) }
            if let stored = head.stored, let response = try await serveStored(stored, route: route, request: request) {
                return response
            }
            var headers: [(String, String)] = [("Content-Type", route.contentType ?? head.contentType ?? "application/octet-stream"), ("X-Larder-Cache", "MISS")]
            headers += head.headers + route.headers
            if let length = head.contentLength { headers.append(("Content-Length", "\(length)")) }
            if isHead { return EngineResponse(status: 200, headers: headers) }
            return EngineResponse(status: 200, headers: headers, body: .stream(fill.chunks(length: head.contentLength, chunkSize: 64 << 10).limitingInFlight(to: Engine.inFlightLimit)))
        }
    }

    /// Throws `conflict` when `route` declares a SHA-256 that `entry` does not have.
    static func checkDeclared(_ route: Route, _ entry: CacheEntry) throws(LarderError) {
        guard let declared = route.declaredSHA256, declared != entry.digest else { return }
        throw LarderError(
            .conflict,
            "the stored copy of \(route.key) has SHA-256 \(entry.digest), not the declared \(declared): the declared checksum is wrong, or upstream changed the file after Larder stored it; the stored copy is kept")
    }

    /// Runs `check` on `entry` within `hitCheckTimeout` (the cached copy is served when it does
    /// not answer in time). Hits on the same entry that arrive while a check runs share it, so
    /// many clients asking at once cost upstream one request.
    private func sharedHitCheck(_ check: @escaping @Sendable (CacheEntry) async -> HitDecision, entry: CacheEntry) async -> HitDecision {
        let key = entry.key + "\u{0}" + entry.digest
        let task = hitChecks.withLock { running in
            if let task = running[key] { return task }
            let task = Task { [configuration] in
                let decision = await Self.within(configuration.hitCheckTimeout, fallback: .serve) { await check(entry) }
                _ = self.hitChecks.withLock { $0.removeValue(forKey: key) }
                return decision
            }
            running[key] = task
            return task
        }
        return await task.value
    }

    /// Answers a HEAD for an artifact that is not cached by asking upstream with HEAD, so no
    /// download starts. Nil when upstream does not answer HEAD (405, 501): a fill answers instead.
    private func headFromUpstream(_ route: Route) async throws -> EngineResponse? {
        let (_, response) = try await firstAnswer(try await route.sources()) { source in
            var head = source.request
            head.method = "HEAD"
            return head
        }
        await response.body.discard()
        if response.status == 405 || response.status == 501 { return nil }
        guard response.status == 200 else { throw Self.statusError(response.status, url: UpstreamRequest.redact(response.url)) }
        var headers: [(String, String)] = [("Content-Type", route.contentType ?? response.header("content-type") ?? "application/octet-stream"), ("X-Larder-Cache", "MISS")]
        headers += Self.keptHeaders(route, from: response).sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + route.headers
        if let length = response.header("content-length") { headers.append(("Content-Length", length)) }
        return EngineResponse(status: 200, headers: headers)
    }

    /// Serves a committed entry, whole or the byte range asked for; nil when its blob is gone
    /// (the entry is then dropped).
    func serveStored(_ entry: CacheEntry, route: Route, request: ClientRequest) async throws -> EngineResponse? {
        let etag = "\"\(entry.digest)\""
        let lastModified = HTTPDate.format(entry.storedAt)
        var headers: [(String, String)] = [
            ("ETag", etag),
            ("Last-Modified", lastModified),
            ("Cache-Control", "public, max-age=31536000, immutable"),
            ("Accept-Ranges", "bytes"),
            ("X-Larder-Cache", "HIT"),
        ]
        for (name, value) in entry.headers { headers.append((name, value)) }
        headers += route.headers
        if Conditional.notModified(request, etag: etag, lastModified: entry.storedAt) {
            return EngineResponse(status: 304, headers: headers)
        }
        headers.insert(("Content-Type", route.contentType ?? entry.contentType ?? "application/octet-stream"), at: 0)
        var range = ByteRange.whole
        if ByteRange.ifRangeHolds(request.header("if-range"), etag: etag, lastModified: lastModified) {
            range = ByteRange.evaluate(request.header("range"), size: entry.size)
        }
        let status: Int
        let bytes: ClosedRange<Int64>?
        switch range {
        case .unsatisfiable:
            headers.append(("Content-Range", "bytes */\(entry.size)"))
            headers.append(("Content-Length", "0"))
            return EngineResponse(status: 416, headers: headers)
        case .partial(let part):
            headers.append(("Content-Range", "bytes \(part.lowerBound)-\(part.upperBound)/\(entry.size)"))
            (status, bytes) = (206, part)
        case .whole:
            (status, bytes) = (200, nil)
        }
        headers.append(("Content-Length", "\(bytes?.count ?? Int(entry.size))"))
        if request.method == .head { return EngineResponse(status: status, headers: headers) }
        guard let body = try await body(of: entry, range: bytes) else { return nil }
        var response = EngineResponse(status: status, headers: headers, body: body)
        // A whole small artifact without a hit check answers this request target the same way
        // for as long as its entry stays: the server may keep the answer and send it again.
        if status == 200, request.method == .get, route.hitCheck == nil, case .buffer = body {
            response.reusable = ReusableHit(key: entry.key, digest: entry.digest, ecosystem: entry.ecosystem, policyGeneration: policy?.generation ?? 0)
        }
        return response
    }

    /// Whether a reusable answer is still what the engine would send: its entry is the one in
    /// memory (an entry dropped, replaced or quarantined is not), and the package rules have not
    /// changed since it was allowed. One lookup in memory.
    public func isCurrent(_ hit: ReusableHit) -> Bool {
        entries.get(hit.key)?.digest == hit.digest && (policy?.generation ?? 0) == hit.policyGeneration
    }

    /// Counts a hit answered by the server's fast path with a reusable answer of `bytes`.
    public func recordReusedHit(_ hit: ReusableHit, bytes: Int, head: Bool) {
        stats.record(hit.ecosystem) { s in
            s.hits += 1
            if !head { s.bytesServedFromCache += Int64(bytes) }
        }
    }

    /// The stored bytes of `entry` (or `range` of them): from memory when small (verified when
    /// loaded), streamed otherwise (a whole blob is hashed as it streams and its last chunk held
    /// back until the digest matches). Nil when the blob is missing or corrupt; it has then been
    /// dropped or quarantined, and the caller fetches it anew.
    func body(of entry: CacheEntry, range: ClosedRange<Int64>?) async throws -> EngineResponse.Body? {
        if entry.size <= Int64(configuration.memoryObjectLimit) {
            guard let buffer = try await smallBlob(entry) else { return nil }
            guard let range else { return .buffer(buffer) }
            return .buffer(buffer.getSlice(at: buffer.readerIndex + Int(range.lowerBound), length: Int(range.count)) ?? ByteBuffer())
        }
        guard let handle = try await openIntact(entry) else { return nil }
        let chunks = handle.chunks(range: range, chunkSize: configuration.chunkSize)
        // A range cannot be checked against the whole file's digest; its size was checked.
        return .stream((range == nil ? verifying(chunks, entry: entry) : chunks).limitingInFlight(to: Engine.inFlightLimit))
    }

    /// A blob read whole: from memory, or read and verified (and kept in memory when it is small
    /// enough); nil when missing or corrupt (dropped or quarantined).
    func smallBlob(_ entry: CacheEntry) async throws -> ByteBuffer? {
        if let buffer = hot.get(entry.digest) { return buffer }
        guard let handle = try await openIntact(entry) else { return nil }
        let buffer = try await handle.readAll(maxSize: max(configuration.memoryObjectLimit, configuration.maxMetadataBytes))
        let digest = buffer.withUnsafeReadableBytes { SHA256.hash(data: $0).hexDigest }
        guard digest == entry.digest else {
            await quarantine(entry, reason: "its bytes hash to \(digest)")
            return nil
        }
        // Large documents are read whole to be parsed, but only small objects stay in memory.
        if buffer.readableBytes <= configuration.memoryObjectLimit { hot.set(entry.digest, buffer, cost: buffer.readableBytes) }
        return buffer
    }

    /// Opens `entry`'s blob if it is there with the size the index records; a missing blob drops
    /// the entry, one of another size is quarantined.
    func openIntact(_ entry: CacheEntry) async throws -> (any BlobHandle)? {
        guard let handle = try await blobs.open(digest: entry.digest) else {
            await dropMissing(entry)
            return nil
        }
        guard handle.size == entry.size else {
            await quarantine(entry, reason: "it is \(handle.size) bytes on disk and \(entry.size) in the index")
            return nil
        }
        return handle
    }

    /// `chunks` of `entry`'s whole blob, hashed as they pass; the final chunk is released only
    /// once the digest matches, so a blob that rotted reaches the client as a cut connection,
    /// never as a complete file, and is quarantined.
    func verifying(_ chunks: ByteChunks, entry: CacheEntry) -> ByteChunks {
        ByteChunks(length: chunks.length) {
            let iterator = chunks.makeAsyncIterator()
            var hasher = SHA256()
            var seen: Int64 = 0
            return {
                guard seen < entry.size else { return nil }
                guard let chunk = try await iterator.next() else {
                    await self.quarantine(entry, reason: "it ended after \(seen) of \(entry.size) bytes")
                    throw LarderError(.storageFailed, "the stored copy of \(entry.key) is damaged; it was quarantined and will be fetched again")
                }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                seen += Int64(chunk.readableBytes)
                if seen >= entry.size {
                    let digest = hasher.finalize().hexDigest
                    guard seen == entry.size, digest == entry.digest else {
                        await self.quarantine(entry, reason: "its bytes hash to \(digest)")
                        throw LarderError(.storageFailed, "the stored copy of \(entry.key) is damaged; it was quarantined and will be fetched again")
                    }
                }
                return chunk
            }
        }
    }

    /// Whether `entry`'s blob is there, of its size, and hashes to its digest (reading it all);
    /// a damaged one is quarantined and a missing one dropped. The mirror and `larder verify`
    /// use it.
    public func isIntact(_ entry: CacheEntry) async throws -> Bool {
        guard let handle = try await openIntact(entry) else { return false }
        var hasher = SHA256()
        for try await chunk in handle.chunks(range: nil, chunkSize: configuration.chunkSize) {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        let digest = hasher.finalize().hexDigest
        guard digest == entry.digest else {
            await quarantine(entry, reason: "its bytes hash to \(digest)")
            return false
        }
        return true
    }
}
