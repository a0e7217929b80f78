import Foundation
import NIOCore

extension Engine {
    func serveArtifact(_ route: Route, request: ClientRequest) async throws -> EngineResponse {
        let isHead = request.method == .head
        if let entry = try await lookup(route.key) {
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
            var headers: [(String, String)] = [("Content-Type", route.contentType ?? head.contentType ?? "application/octet-stream"), ("X-Larder-Cache", "MISS")]
            headers += head.headers + route.headers
            if let length = head.contentLength { headers.append(("Content-Length", "\(length)")) }
            if isHead { return EngineResponse(status: 200, headers: headers) }
            return EngineResponse(status: 200, headers: headers, body: .stream(fill.chunks(length: head.contentLength, chunkSize: 64 << 10).limitingInFlight(to: Engine.inFlightLimit)))
        }
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
        guard let body = try await body(of: entry, range: bytes) else {
            await dropMissing(entry)
            return nil
        }
        return EngineResponse(status: status, headers: headers, body: body)
    }

    /// The stored bytes of `entry` (or `range` of them): from memory when small, streamed
    /// otherwise; nil when the blob is missing.
    func body(of entry: CacheEntry, range: ClosedRange<Int64>?) async throws -> EngineResponse.Body? {
        if entry.size <= Int64(configuration.memoryObjectLimit) {
            guard let buffer = try await smallBlob(entry) else { return nil }
            guard let range else { return .buffer(buffer) }
            return .buffer(buffer.getSlice(at: buffer.readerIndex + Int(range.lowerBound), length: Int(range.count)) ?? ByteBuffer())
        }
        guard let chunks = try await blobs.read(digest: entry.digest, range: range, chunkSize: configuration.chunkSize) else { return nil }
        return .stream(chunks.limitingInFlight(to: Engine.inFlightLimit))
    }

    /// A small blob, from memory or read once into it; nil when missing.
    func smallBlob(_ entry: CacheEntry) async throws -> ByteBuffer? {
        if let buffer = hot.get(entry.digest) { return buffer }
        guard let buffer = try await blobs.readAll(digest: entry.digest, maxSize: max(configuration.memoryObjectLimit, configuration.maxMetadataBytes)) else { return nil }
        hot.set(entry.digest, buffer, cost: buffer.readableBytes)
        return buffer
    }
}
