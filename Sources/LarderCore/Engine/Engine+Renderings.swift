import CompressNIO
import Crypto
import Foundation
import NIOCore

extension Engine {
    /// Renderings smaller than this are sent as they are: gzip would save next to nothing.
    static let gzipThreshold = 1024

    /// The most renderings kept per document (media types, base URLs, compressed or not). Without
    /// a configured `base_url` the base URL comes from the Host header, so a client could
    /// otherwise make Larder store one rendering per host name it invents; beyond this many the
    /// oldest are removed.
    static let maxRenderingsPerDocument = 16

    /// The key prefix of the renderings of the document stored under `documentKey`. U+0001
    /// separates the parts: no route key contains it, and unlike NUL it survives SQLite's
    /// C strings.
    static func renderingPrefix(_ documentKey: String) -> String {
        documentKey + "\u{1}render\u{1}"
    }

    /// The stored rendering of `document` by `presenter`, gzip-compressed when `gzip` allows and
    /// it pays: made once per version of the document and variant (concurrent requests share
    /// the work), stored as a blob and served from the store like an artifact, from memory when
    /// small. Nil when a blob it needs vanished (the caller asks again).
    /// `versions` is what the package rules let the rendering list, and the stamp of those rules.
    func storedRendering(
        _ route: Route, presenter: MetadataPresenter, versions: (filter: VersionFilter, stamp: String)?, document: CacheEntry, provenance: MetadataDocument.Provenance, gzip: Bool,
        algorithms: Set<Integrity.Algorithm> = []
    ) async throws -> CacheEntry? {
        var key = Self.renderingPrefix(route.key) + document.digest + "\u{1}" + presenter.variant
        if let versions { key += "\u{1}" + versions.stamp }
        let plain = try await renderOnce(key, documentKey: route.key, document: document, algorithms: algorithms) {
            try await self.readStored(route, entry: document, provenance: provenance) { stored in
                var source = stored
                if let versions { source.versions = versions.filter }
                let made = try presenter.render(source)
                return (made.body, made.contentType, [:])
            }
        }
        guard let plain else { return nil }
        guard gzip, plain.size >= Self.gzipThreshold else { return plain }
        return try await renderOnce(key + "\u{1}gzip", documentKey: route.key, document: document) {
            // The rendering and its compressed form are in memory together.
            try await self.withMetadataMemory(plain.size, factor: 2) {
                guard var body = try await self.smallBlob(plain) else { return nil }
                do {
                    return (try body.compress(with: .gzip()), plain.contentType, ["content-encoding": "gzip"])
                } catch {
                    throw LarderError(.internalError, "could not compress a rendering of \(route.key): \(error)")
                }
            }
        }
    }

    /// The versions a rendering of `route`'s document may list, and the policy stamp its key
    /// carries (a rendering is made once per stamp); nil when no policy applies.
    ///
    /// Where versions are aged, the filter depends on the time too: it is worked out from the
    /// document's versions and their recorded history, kept with the moment it was made as of
    /// (part of the stamp, so of the rendering's key and ETag) until a hidden version comes of
    /// age; then a new one is made.
    func versionFilter(_ route: Route, document: CacheEntry, provenance: MetadataDocument.Provenance) async throws -> (filter: VersionFilter, stamp: String)? {
        guard let policy, let name = route.package?.name else { return nil }
        let stamp = "policy=" + policy.stamp(ecosystem: route.ecosystem, name: name)
        guard policy.ages(ecosystem: route.ecosystem), route.datesVersions else {
            return (policy.versionFilter(ecosystem: route.ecosystem, name: name), stamp)
        }
        let memo = "\(route.key)\u{1}\(document.digest)\u{1}\(stamp)"
        let now = Date()
        if let aged = agedRenderings.get(memo), aged.validUntil.map({ now < $0 }) ?? true {
            return (aged.filter, stamp + "@\(aged.asOf)")
        }
        // Recorded here too: a document stored before its versions could be.
        let dates: (dates: [VersionDate], complete: Bool)?
        if route.versionDates != nil || route.listedVersions != nil {
            dates = try await ownDates(route, document: document, provenance: provenance)
        } else if let source = route.datedBy.first {
            dates = try await datesRead(from: source)
        } else {
            dates = nil
        }
        guard let dates else { return (policy.versionFilter(ecosystem: route.ecosystem, name: name), stamp) }
        try await policy.recordVersions(ecosystem: route.ecosystem, name: name, dates.dates)
        var (filter, validUntil) = try await policy.agedVersionFilter(ecosystem: route.ecosystem, name: name, now: now)
        // Versions that could not be dated this time are tried again a minute later.
        if !dates.complete { validUntil = min(validUntil ?? .distantFuture, now + 60) }
        let asOf = Int64(now.timeIntervalSince1970)
        agedRenderings.set(memo, AgedRendering(asOf: asOf, validUntil: validUntil, filter: filter))
        return (filter, stamp + "@\(asOf)")
    }

    /// The entry stored under `key`, or the one `make` produces, stored; one `make` per key at a
    /// time across concurrent requests, run to its end even when its requests are gone.
    private func renderOnce(
        _ key: String, documentKey: String, document: CacheEntry, algorithms: Set<Integrity.Algorithm> = [],
        make: @escaping @Sendable () async throws -> (body: ByteBuffer, contentType: String?, headers: [String: String])?
    ) async throws -> CacheEntry? {
        if let stored = try await lookup(key) { return stored }
        let task = renderFlights.withLock { flights in
            if let running = flights[key] { return running }
            let task = Task<CacheEntry?, any Error> {
                defer { _ = self.renderFlights.withLock { $0.removeValue(forKey: key) } }
                guard let made = try await make() else { return nil }
                return try await self.storeRendering(made, key: key, documentKey: documentKey, document: document, algorithms: algorithms)
            }
            flights[key] = task
            return task
        }
        return try await task.value
    }

    /// Writes a rendering to the store and indexes it under `key`, with its digests by
    /// `algorithms` besides SHA-256.
    private func storeRendering(
        _ made: (body: ByteBuffer, contentType: String?, headers: [String: String]), key: String, documentKey: String, document: CacheEntry, algorithms: Set<Integrity.Algorithm>
    ) async throws -> CacheEntry {
        let path = try blobs.makeStagingPath()
        do {
            let file = try PosixFile.create(path)
            try await file.write(made.body, at: 0)
            var hasher = DigestAccumulator(algorithms: algorithms)
            hasher.update(made.body)
            let digests = hasher.finalize()
            let digest = digests[.sha256]!
            let size = Int64(made.body.readableBytes)
            let now = Date()
            let entry = CacheEntry(
                key: key, ecosystem: document.ecosystem, kind: .metadata, digest: digest, size: size, contentType: made.contentType,
                etag: nil, lastModified: nil, sourceURL: document.sourceURL, fetchedAt: now, storedAt: now, upstream: document.upstream,
                headers: made.headers, checksums: digests.filter { $0.key != .sha256 })
            try await commit(Staged(path: path, file: file, size: size, digests: digests), entry: entry, replace: false)
            if made.body.readableBytes <= configuration.memoryObjectLimit { hot.set(digest, made.body, cost: made.body.readableBytes) }
            await limitRenderings(of: documentKey, current: document.digest)
            return entry
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Removes the renderings of the document under `documentKey` that were made from another
    /// version of it than `current` (nil: every one), and the oldest beyond
    /// `maxRenderingsPerDocument`.
    func limitRenderings(of documentKey: String, current: String?) async {
        let prefix = Self.renderingPrefix(documentKey)
        do {
            let stored = try await index.entries(withKeyPrefix: prefix, limit: 1_000)
            let outdated = stored.filter { entry in current.map { !entry.key.hasPrefix(prefix + $0) } ?? true }
            let kept = stored.filter { entry in !outdated.contains { $0.key == entry.key } }
            let surplus = kept.sorted { $0.storedAt < $1.storedAt }.dropLast(Self.maxRenderingsPerDocument)
            for entry in outdated + surplus { await discard(entry) }
        } catch {
            logger.warning("could not remove outdated renderings", metadata: ["key": "\(documentKey)", "error": "\(error)"])
        }
    }
}

/// A rendering whose versions depend on their age: when it was made as of, until when it
/// stays right, and the filter it was made with.
struct AgedRendering: Sendable {
    var asOf: Int64
    var validUntil: Date?
    var filter: VersionFilter
}
