import LarderCore

/// Coherence on hit for repositories where a version can be published again: before a cached
/// file is served, upstream is asked whether it still has the same one.
enum MavenCoherence {
    /// With the upstream's validators (ETag, Last-Modified): a conditional HEAD; 304 or the same
    /// validators mean unchanged, different ones mean replaced. Without validators: the
    /// upstream's `.sha1` against the one computed when the file was stored. Anything
    /// inconclusive (no answer in time, an error, a file now missing upstream) keeps the cached
    /// copy.
    static func check(_ entry: CacheEntry, path: MavenPath, upstream: Upstream, client: UpstreamClient, deadline: Duration) async -> HitDecision {
        if entry.etag != nil || entry.lastModified != nil {
            var request = upstream.request(path: path.urlPath)
            request.method = "HEAD"
            if let etag = entry.etag { request.headers.append(("If-None-Match", etag)) }
            if let lastModified = entry.lastModified { request.headers.append(("If-Modified-Since", lastModified)) }
            guard let response = try? await client.send(request, deadline: deadline) else { return .serve }
            await response.body.discard()
            switch response.status {
            case 304:
                return .serve
            case 200:
                if let etag = response.header("etag"), let stored = entry.etag { return etag == stored ? .serve : .replace }
                if let modified = response.header("last-modified"), let stored = entry.lastModified, modified != stored { return .replace }
                if let length = response.header("content-length").flatMap(Int64.init), length != entry.size { return .replace }
                return .serve
            case 405, 501:
                break  // no HEAD here: compare checksums instead
            default:
                return .serve
            }
        }
        guard path.checksumOf == nil, let stored = entry.checksums[.sha1] else { return .serve }
        guard let current = try? await MavenChecksumVerifier.fetch(upstream.request(path: path.appending("sha1").urlPath), algorithm: .sha1, client: client) else { return .serve }
        return current == stored ? .serve : .replace
    }
}
