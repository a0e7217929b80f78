import Crypto
import Foundation
import NIOCore

extension Engine {
    /// Runs `body` with the metadata document of `route` (cached and fresh, revalidated, fetched,
    /// or stale when upstream is down), holding the document's share of the metadata memory
    /// budget while `body` parses it. Adapters resolve artifacts with it; it counts no hits or
    /// misses.
    public func withMetadata<T: Sendable>(_ route: Route, _ body: @Sendable (MetadataDocument) throws -> T) async throws -> T {
        let route = scoped(route)
        for _ in 0..<2 {
            let (entry, provenance) = try await metadataEntry(route)
            // A missing or damaged blob has been dropped or quarantined: fetch it again.
            if let result = try await readStored(route, entry: entry, provenance: provenance, body) { return result }
        }
        throw LarderError(.storageFailed, "the stored document for \(route.key) keeps vanishing")
    }

    /// `parse` run on `route`'s stored document `entry`, holding the share of the metadata
    /// memory budget that needs; nil when the blob is missing or damaged (it has been dropped or
    /// quarantined, and the caller fetches the document again).
    func readStored<T>(_ route: Route, entry: CacheEntry, provenance: MetadataDocument.Provenance, _ parse: (MetadataDocument) throws -> T) async throws -> T? {
        try await withMetadataMemory(entry.size, factor: route.parseMemoryFactor) {
            guard let body = try await smallBlob(entry) else { return nil }
            return try parse(MetadataDocument(body, of: entry, provenance: provenance))
        }
    }

    /// Makes sure `route`'s document is stored and fresh, fetching or revalidating it as needed,
    /// without reading it: the mirror caches documents clients will read offline.
    @discardableResult
    public func ensureMetadata(_ route: Route) async throws -> CacheEntry {
        let route = scoped(route)
        try await checkPolicy(route)
        return try await metadataEntry(route).0
    }

    /// Runs `body` holding the share of the metadata memory budget a document of `size` bytes
    /// needs while it is read and parsed: `factor` times its size (`Route.parseMemoryFactor`).
    func withMetadataMemory<T>(_ size: Int64, factor: Int64, _ body: () async throws -> T) async throws -> T {
        let factor = max(factor, 1)
        return try await metadataMemory.withReservation(Int(min(size, Int64(Int.max) / factor) * factor), wait: .seconds(30), setting: "metadata_memory_mb", body)
    }

    /// The entry holding `route`'s document, fresh within the TTL, revalidated, fetched, or stale;
    /// the document itself is not read. With a copy on hand, revalidation is awaited for at most
    /// `revalidationDeadline`: a slow or silent upstream gets the copy served stale at once while
    /// the revalidation goes on in the background and updates the cache when it ends.
    func metadataEntry(_ route: Route) async throws -> (CacheEntry, MetadataDocument.Provenance) {
        guard let entry = try await lookup(route.key) else {
            return try await refreshTask(route, existing: nil).value
        }
        let age = Date().timeIntervalSince(entry.fetchedAt)
        let ttl = Double(configuration.metadataTTL.components.seconds)
        if age >= 0 && age < ttl { return (entry, .cache) }
        let task = refreshTask(route, existing: entry)
        let outcome = await Self.within(configuration.revalidationDeadline, fallback: Revalidation.late) {
            do {
                let (entry, provenance) = try await task.value
                return .done(entry, provenance)
            } catch {
                return .failed((error as? LarderError) ?? LarderError(.storageFailed, "\(error)"))
            }
        }
        switch outcome {
        case .done(let entry, let provenance): return (entry, provenance)
        case .failed(let error): throw error
        case .late:
            logger.info("upstream is slow to revalidate; serving the stored copy stale and revalidating in the background", metadata: ["key": "\(route.key)"])
            return (entry, .stale)
        }
    }

    /// How a revalidation awaited within the deadline ended.
    private enum Revalidation: Sendable {
        case done(CacheEntry, MetadataDocument.Provenance)
        case failed(LarderError)
        case late
    }

    /// One revalidation or fetch per key at a time; concurrent callers share it, and it runs to
    /// its end even when nobody waits for it any more.
    private func refreshTask(_ route: Route, existing: CacheEntry?) -> Task<(CacheEntry, MetadataDocument.Provenance), any Error> {
        metadataFlights.withLock { flights in
            if let running = flights[route.key] { return running }
            let task = Task<(CacheEntry, MetadataDocument.Provenance), any Error> {
                defer { _ = self.metadataFlights.withLock { $0.removeValue(forKey: route.key) } }
                return try await self.fetchMetadata(route, existing: existing)
            }
            flights[route.key] = task
            return task
        }
    }

    /// Asks the route's upstreams in order. The upstream the stored copy came from gets a
    /// conditional request; every upstream before it is asked plainly, since the first that has
    /// the document wins. When none can be asked, the stored copy is served stale.
    private func fetchMetadata(_ route: Route, existing: CacheEntry?) async throws -> (CacheEntry, MetadataDocument.Provenance) {
        func stale(_ reason: LarderError) throws -> (CacheEntry, MetadataDocument.Provenance) {
            guard let existing else { throw reason }
            logger.warning("upstream unavailable; serving stale metadata", metadata: ["key": "\(route.key)", "error": "\(reason.message)"])
            return (existing, .stale)
        }
        func isOrigin(of entry: CacheEntry, _ source: Source) -> Bool {
            entry.upstream == nil || entry.upstream == source.request.upstreamID
        }
        let sources = try await route.sources()
        let answer: (source: Source, response: UpstreamResponse)
        do {
            answer = try await firstAnswer(sources, prepare: { source in
                var request = source.request
                if let existing, isOrigin(of: existing, source) {
                    if let etag = existing.etag { request.headers.append(("If-None-Match", etag)) }
                    if let lastModified = existing.lastModified { request.headers.append(("If-Modified-Since", lastModified)) }
                }
                return request
            }, holds: { source in
                // The stored copy's own upstream, down, means serving that copy stale.
                source.request.isPrivate || (existing.map { isOrigin(of: $0, source) } ?? false)
            })
        } catch where error.kind == .notFound {
            if let existing {
                await discard(existing)
                await limitRenderings(of: route.key, current: nil)
            }
            throw error
        } catch {
            return try stale(error)
        }
        let response = answer.response
        let url = UpstreamRequest.redact(response.url)
        switch response.status {
        case 304 where existing.map { isOrigin(of: $0, answer.source) } ?? false:
            let now = Date()
            var entry = existing!
            entry.fetchedAt = now
            try await index.touch(key: route.key, fetchedAt: now)
            entries.set(route.key, entry)
            return (entry, .revalidated)
        case let status where status == 200 || (status == 204 && route.acceptsNoContent):
            do {
                let entry = try await storeMetadata(route, response: response, source: answer.source, url: url, replacing: existing)
                return (entry, .fetched)
            } catch let error as LarderError where error.isUnreachable || error.kind == .upstreamFailed {
                return try stale(error)
            }
        default:
            await response.body.discard()
            return try stale(Self.statusError(response.status, url: url))
        }
    }

    /// Streams a document into the store (kept in memory too when small) and indexes it, with
    /// the artifacts it lists. The document must pass the route's validation first.
    private func storeMetadata(_ route: Route, response: UpstreamResponse, source: Source, url: String, replacing old: CacheEntry?) async throws -> CacheEntry {
        var stagingPath: String?
        let memoryLimit = configuration.memoryObjectLimit
        if let missing = route.requiredHeaders.first(where: { response.header($0) == nil }) {
            await response.body.discard()
            throw LarderError(.upstreamFailed, "upstream \(url) answered without the \(missing) header its protocol requires; the stored copy, if any, is kept")
        }
        do {
            let staged = try await stage(
                response.body, url: url, algorithms: route.etagAlgorithm.map { [$0] } ?? [], limit: (Int64(configuration.maxMetadataBytes), "max_metadata_mb"),
                expectedLength: response.header("content-length").flatMap { Int64($0) }, stagingPath: &stagingPath)
            stats.record(route.ecosystem) { $0.bytesFetched += staged.size }
            let digest = staged.digests[.sha256]!
            let now = Date()
            let entry = CacheEntry(
                key: route.key, ecosystem: route.ecosystem, kind: .metadata, digest: digest, size: staged.size,
                contentType: response.header("content-type"), etag: response.header("etag"), lastModified: response.header("last-modified"),
                sourceURL: url, fetchedAt: now, storedAt: old?.digest == digest ? old!.storedAt : now,
                upstream: source.request.upstreamID, headers: Self.keptHeaders(route, from: response),
                checksums: staged.digests.filter { $0.key != .sha256 })
            var small: ByteBuffer?
            var links: [ArtifactLink]?
            // Where versions are aged, when each appeared is recorded as the document is stored.
            let datesOf = policy?.ages(ecosystem: route.ecosystem) == true && route.package != nil ? route.versionDates : nil
            var dates: [VersionDate]?
            if route.validate != nil || route.links != nil || datesOf != nil {
                (small, links, dates) = try await withMetadataMemory(staged.size, factor: route.parseMemoryFactor) {
                    let body = try await staged.file.read(at: 0, length: Int(staged.size))
                    let links: [ArtifactLink]?
                    let dates: [VersionDate]?
                    do {
                        try route.validate?(body, response.header("content-type"))
                        let document = MetadataDocument(body, of: entry, provenance: .fetched)
                        links = try route.links?(document)
                        dates = try datesOf?(document)
                    } catch {
                        let reason = (error as? LarderError)?.message ?? "\(error)"
                        throw LarderError(.upstreamFailed, "upstream \(url) answered with something that is not a valid document of its kind (\(reason)); the stored copy, if any, is kept")
                    }
                    return (staged.size <= Int64(memoryLimit) ? body : nil, links, dates)
                }
            } else if staged.size <= Int64(memoryLimit) {
                small = try await staged.file.read(at: 0, length: Int(staged.size))
            }
            try await commit(staged, entry: entry, replace: false)
            stagingPath = nil
            if let small { hot.set(digest, small, cost: small.readableBytes) }
            if let links { try await index.recordLinks(links, documentKey: route.key, digest: digest) }
            if let dates, let policy, let name = route.package?.name { try await policy.recordVersions(ecosystem: route.ecosystem, name: name, dates) }
            if let old, old.digest != digest {
                await limitRenderings(of: route.key, current: digest)
                try await deleteIfUnreferenced(old.digest)
            }
            return entry
        } catch {
            if let stagingPath { unlink(stagingPath) }
            throw error
        }
    }

    /// The link named `name` in `route`'s document (fresh, revalidated, fetched or stale, as for
    /// a client), with the upstream the document came from: looked up in the index, where the
    /// links were recorded when the document was stored. A document stored before its links
    /// could be recorded is read once and its links recorded then. Nil when the document lists
    /// no such artifact.
    public func artifactLink(_ route: Route, named name: String) async throws -> (link: ArtifactLink, upstream: String?)? {
        guard let extract = route.links else { throw LarderError(.internalError, "route \(route.key) records no links") }
        let route = scoped(route)
        for _ in 0..<2 {
            let (entry, provenance) = try await metadataEntry(route)
            switch try await index.link(named: name, documentKey: route.key, digest: entry.digest) {
            case .found(let link): return (link, entry.upstream)
            case .absent: return nil
            case .notRecorded: break
            }
            guard let links = try await readStored(route, entry: entry, provenance: provenance, extract) else { continue }
            try await index.recordLinks(links, documentKey: route.key, digest: entry.digest)
            return links.first { $0.name == name }.map { ($0, entry.upstream) }
        }
        throw LarderError(.storageFailed, "the stored document for \(route.key) keeps vanishing")
    }

    func serveMetadata(_ route: Route, request: ClientRequest) async throws -> EngineResponse {
        for _ in 0..<2 {
            let (entry, provenance) = try await metadataEntry(route)
            if let response = try await presentMetadata(route, entry: entry, provenance: provenance, request: request) {
                stats.record(route.ecosystem) { s in
                    switch provenance {
                    case .cache, .revalidated: s.hits += 1
                    case .stale: s.hits += 1; s.staleServed += 1
                    case .fetched: s.misses += 1
                    }
                    if request.method != .head, response.status == 200 {
                        s.bytesServedFromCache += Int64(response.header("Content-Length").flatMap(Int.init) ?? 0)
                    }
                }
                return response
            }
        }
        throw LarderError(.internalError, "the stored document for \(route.key) keeps vanishing")
    }

    /// The client's answer from a stored document: rendered by the route's presenter (once per
    /// stored version and variant), or the document as stored. Nil when the blob is missing.
    private func presentMetadata(_ route: Route, entry: CacheEntry, provenance: MetadataDocument.Provenance, request: ClientRequest) async throws -> EngineResponse? {
        let lastModified = entry.lastModified.flatMap(HTTPDate.parse) ?? entry.storedAt
        let ttl = configuration.metadataTTL.components.seconds
        var headers: [(String, String)] = [
            ("Last-Modified", HTTPDate.format(lastModified)),
            ("Cache-Control", ttl > 0 ? "public, max-age=\(ttl)" : "no-cache"),
            ("X-Larder-Cache", provenance == .fetched ? "MISS" : (provenance == .stale ? "STALE" : "HIT")),
        ]
        if provenance == .stale { headers.append(("Warning", "110 - \"Response is Stale\"")) }
        for (name, value) in entry.headers { headers.append((name, value)) }
        headers += route.headers

        var versions = try await versionFilter(route, document: entry, provenance: provenance)
        var presenter = route.presenter
        let contentType = route.contentType
        if presenter == nil, let filterVersions = route.filterVersions, let versions, !versions.filter.allowsEverything {
            // Served as stored unless the package rules hide versions: then cut like a rendering.
            presenter = MetadataPresenter(variant: "filtered") { document in
                Presentation(body: try filterVersions(document), contentType: contentType ?? document.contentType ?? "application/octet-stream")
            }
        } else if presenter == nil, route.package == nil, let filterPackages = route.filterPackages, let policy, let stamp = policy.stamp(ecosystem: route.ecosystem) {
            // A document of many packages, cut once per rule set on the ecosystem.
            let ecosystem = route.ecosystem
            versions = (.everything, "policy=" + stamp)
            presenter = MetadataPresenter(variant: "filtered") { document in
                let body = try filterPackages(document) { policy.versionFilter(ecosystem: ecosystem, name: $0) }
                return Presentation(body: body, contentType: contentType ?? document.contentType ?? "application/octet-stream")
            }
        }
        /// `served` as it is stored, tagged by its own digest (`etagAlgorithm`'s where set).
        func asStored(_ served: CacheEntry) async throws -> EngineResponse? {
            let etag = "\"\(route.etagAlgorithm.flatMap { served.checksums[$0] } ?? served.digest)\""
            headers.insert(("ETag", etag), at: 0)
            if Conditional.notModified(request, etag: etag, lastModified: lastModified) { return EngineResponse(status: 304, headers: headers) }
            headers.insert(("Content-Type", route.contentType ?? served.contentType ?? "application/octet-stream"), at: 0)
            headers.append(("Content-Length", "\(served.size)"))
            if request.method == .head { return EngineResponse(status: 200, headers: headers) }
            guard let body = try await body(of: served, range: nil) else { return nil }
            return EngineResponse(status: 200, headers: headers, body: body)
        }
        guard let presenter else { return try await asStored(entry) }
        if let algorithm = route.etagAlgorithm {
            // Clients that check the tag against the body (Bundler, MD5) get that digest of the
            // cut, which is served uncompressed like the document it is cut from.
            guard let cut = try await storedRendering(route, presenter: presenter, versions: versions, document: entry, provenance: provenance, gzip: false, algorithms: [algorithm]) else {
                return nil
            }
            return try await asStored(cut)
        }

        // The rules' stamp is part of the tag: a client holding a copy made under other rules gets the new one.
        let variant = "\(route.key)\u{0}\(entry.digest)\u{0}\(presenter.variant)\u{0}\(versions?.stamp ?? "")"
        let tag = "m-" + SHA256.hash(data: Data(variant.utf8)).prefix(16).hexDigest
        let gzip = AcceptEncoding.allowsGzip(request.header("accept-encoding"))
        headers.append(("Vary", "Accept, Accept-Encoding"))
        if Conditional.notModified(request, etag: "\"\(tag)\"", lastModified: lastModified)
            || (gzip && Conditional.notModified(request, etag: "\"\(tag)-gz\"", lastModified: lastModified))
        {
            return EngineResponse(status: 304, headers: [("ETag", "\"\(tag)\(gzip ? "-gz" : "")\"")] + headers)
        }
        guard let rendering = try await storedRendering(route, presenter: presenter, versions: versions, document: entry, provenance: provenance, gzip: gzip) else { return nil }
        let compressed = rendering.headers["content-encoding"] != nil
        headers.insert(("ETag", "\"\(tag)\(compressed ? "-gz" : "")\""), at: 0)
        headers.insert(("Content-Type", rendering.contentType ?? "application/octet-stream"), at: 0)
        for (name, value) in rendering.headers { headers.append((name, value)) }
        headers.append(("Content-Length", "\(rendering.size)"))
        if request.method == .head { return EngineResponse(status: 200, headers: headers) }
        // A rendering whose blob vanished has been dropped: the caller asks again.
        guard let body = try await body(of: rendering, range: nil) else { return nil }
        return EngineResponse(status: 200, headers: headers, body: body)
    }
}
