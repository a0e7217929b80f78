import Foundation
public import LarderCore
import NIOCore

/// Debian and Ubuntu archives, mounted at `/debian/<name>/`: each named upstream
/// (`upstreams.debian.<name>`) is an archive's base URL, and its `dists/` and `pool/` are
/// served byte for byte, so apt's own signature checks keep working. `InRelease`, `Release`,
/// `Release.gpg` and the index files below `dists/` are metadata; `by-hash/` files are
/// immutable and checked against the digest in their name; `pool/` files are immutable and
/// checked against the SHA-256 the suite's `Packages` or `Sources` index lists for them. Its
/// Package URL type is `deb`. There is no default archive.
public struct DebianAdapter: Ecosystem {
    public static let name = "debian"
    /// No default: archives come from configuration only.
    public static let defaultUpstreams: [String] = []
    /// The archives, by name.
    public let upstreams: [Upstream]
    /// The largest size an index may unpack to when Larder reads it.
    static let maxIndexBytes = 1 << 30

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    /// The Package URL type of Debian packages.
    public var ecosystem: String { "deb" }

    /// The name an archive answers to under `/debian/`.
    static func name(of upstream: Upstream) -> String { upstream.name ?? "default" }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder serves Debian archives read-only (GET and HEAD)")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        guard segments.count >= 3, segments[1] == "dists" || segments[1] == "pool" else {
            throw LarderError.notFound("no archive file here: Larder serves /debian/<name>/dists/… and /debian/<name>/pool/…, with <name> an archive configured as upstreams.debian.<name>")
        }
        let upstream = try archive(segments[0])
        let path = segments.dropFirst().joined(separator: "/")
        if segments[1] == "pool" {
            return .route(poolRoute(upstream, path: path, engine: engine))
        }
        guard segments.count >= 4 else { throw LarderError.notFound("no archive file here: dists/<suite>/<file>") }
        if segments.count >= 6, segments[segments.count - 3] == "by-hash" {
            return .route(try byHashRoute(upstream, path: path, algorithm: segments[segments.count - 2], hex: segments[segments.count - 1]))
        }
        return .route(indexRoute(upstream, path: path))
    }

    /// The archive called `name`.
    func archive(_ name: String) throws -> Upstream {
        guard !upstreams.isEmpty else { throw Self.notConfigured("Debian archive") }
        guard let upstream = upstreams.first(where: { Self.name(of: $0) == name }) else {
            let known = upstreams.map(Self.name(of:)).sorted().joined(separator: ", ")
            throw LarderError.notFound("no Debian archive is named '\(name.prefix(100))' (configured: \(known)); add it as upstreams.debian.\(name.prefix(100))")
        }
        return upstream
    }

    /// The package and version a pool file (`…/<name>_<version>_<arch>.deb`, `…/<name>_<version>.dsc`,
    /// `…/<name>_<upstream version>.orig.tar.gz`) belongs to; the version's epoch is not in file names.
    static func package(ofPoolFile path: String) -> PackageRef? {
        let parts = (path.split(separator: "/").last ?? "").split(separator: "_")
        guard parts.count >= 2, !parts[0].isEmpty else { return nil }
        var version = String(parts[1])
        if parts.count == 2, let dot = version.range(of: ".orig.") ?? version.range(of: ".debian.") ?? version.range(of: ".dsc") ?? version.range(of: ".tar.") {
            version = String(version[..<dot.lowerBound])
        }
        return PackageRef(String(parts[0]), version: version)
    }

    /// The key of `path` (relative to the archive's base URL) in `upstream`'s archive.
    func key(_ upstream: Upstream, _ path: String) -> String { "debian/\(Self.name(of: upstream))/\(path)" }

    /// A file below `dists/` (a `Release`, an index): metadata, served byte for byte, checked
    /// to be a file of its kind, and, when `sha256` is given (the digest the suite's `Release`
    /// lists), to be exactly that file. `Packages` and `Sources` indexes record the pool files
    /// they list.
    func indexRoute(_ upstream: Upstream, path: String, sha256: String? = nil) -> Route {
        let file = String(path.split(separator: "/").last ?? "")
        var route = Route(ecosystem: ecosystem, key: key(upstream, path), kind: .metadata) {
            [upstream.source(path: "/" + path.split(separator: "/").map { URLPath.encodeSegment(String($0)) }.joined(separator: "/"))]
        }
        route.validate = { body, _ in
            try DebianIndexes.validate(body, file: file)
            if let sha256, DebianIndexes.sha256(body) != sha256 {
                throw LarderError(.upstreamFailed, "\(path) is not the file the suite's Release lists (SHA-256 \(sha256))")
            }
        }
        if ["Packages", "Packages.gz", "Sources", "Sources.gz"].contains(file) {
            route.links = { document in try DebianIndexes.poolFiles(document.body, path: path, maxSize: Self.maxIndexBytes) }
            route.parseMemoryFactor = 24
        }
        return route
    }

    /// A file below `by-hash/<algorithm>/<digest>`: immutable, checked against its name.
    func byHashRoute(_ upstream: Upstream, path: String, algorithm: String, hex: String) throws -> Route {
        let algorithms: [String: Integrity.Algorithm] = ["SHA256": .sha256, "SHA512": .sha512, "SHA1": .sha1, "MD5Sum": .md5]
        guard let algorithm = algorithms[algorithm], let integrity = Integrity(algorithm: algorithm, hex: hex) else {
            throw LarderError.badRequest("by-hash files are named by-hash/<SHA256|SHA512|SHA1|MD5Sum>/<hex digest>, not '\(path.prefix(200))'")
        }
        return Route(ecosystem: ecosystem, key: key(upstream, path), kind: .artifact) {
            [upstream.source(path: "/" + path, integrity: integrity)]
        }
    }

    /// A file below `pool/`: immutable, checked against the SHA-256 an index of one of the
    /// archive's suites lists for it (the suites whose `Release` Larder holds; `apt-get update`
    /// through Larder stores them).
    func poolRoute(_ upstream: Upstream, path: String, engine: Engine) -> Route {
        Route(ecosystem: ecosystem, key: key(upstream, path), kind: .artifact, package: Self.package(ofPoolFile: path), contentType: "application/octet-stream") {
            guard let integrity = try await poolIntegrity(upstream, path: path, engine: engine) else {
                throw LarderError.notFound(
                    "no index of a suite of archive \(Self.name(of: upstream)) that Larder holds lists \(path.prefix(200)); run apt-get update through Larder first (or larder mirror the package)")
            }
            return [upstream.source(path: "/" + path.split(separator: "/").map { URLPath.encodeSegment(String($0)) }.joined(separator: "/"), integrity: integrity)]
        }
    }

    /// The SHA-256 the indexes of the archive's stored suites list for pool file `path`.
    func poolIntegrity(_ upstream: Upstream, path: String, engine: Engine) async throws -> Integrity? {
        let prefix = key(upstream, "dists/")
        let stored = try await engine.storedEntries(withKeyPrefix: prefix, ecosystem: ecosystem, limit: 10_000).map(\.key)
        // Each suite once, InRelease preferred to Release.
        var suites: [String: String] = [:]
        for key in stored where key.hasSuffix("/InRelease") || key.hasSuffix("/Release") {
            let suite = String(key.dropFirst(prefix.count - "dists/".count).split(separator: "/").dropLast().joined(separator: "/"))
            let file = String(key.split(separator: "/").last!)
            if suites[suite] == nil || file == "InRelease" { suites[suite] = file }
        }
        for (suite, file) in suites.sorted(by: { $0.key < $1.key }) {
            let files = try await engine.withMetadata(indexRoute(upstream, path: "\(suite)/\(file)")) {
                DebianIndexes.releaseFiles(String(decoding: $0.body.readableBytesView, as: UTF8.self))
            }
            for candidate in Self.indexCandidates(files, for: path) {
                let route = indexRoute(upstream, path: "\(suite)/\(candidate.path)", sha256: candidate.sha256)
                if let found = try await engine.artifactLink(route, named: path) { return found.link.integrity }
            }
        }
        return nil
    }

    /// The indexes of a suite that may list pool file `path`: for a binary package, the
    /// `Packages` of its architecture (every architecture for `all`), else the `Sources`; the
    /// gzipped one where the `Release` lists it, else the plain one.
    static func indexCandidates(_ files: [DebianIndexes.ReleaseFile], for path: String) -> [DebianIndexes.ReleaseFile] {
        let filename = String(path.split(separator: "/").last ?? "")
        let isBinary = filename.hasSuffix(".deb") || filename.hasSuffix(".udeb") || filename.hasSuffix(".ddeb")
        // name_version_arch.deb: the architecture is the last field before the extension.
        let stem = filename.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
        let arch = stem.split(separator: "_").last.map(String.init) ?? ""
        func wanted(_ directory: String) -> Bool {
            let parts = directory.split(separator: "/")
            guard let last = parts.last else { return false }
            if !isBinary { return last == "source" }
            if filename.hasSuffix(".udeb") != parts.contains("debian-installer") { return false }
            return arch == "all" ? last.hasPrefix("binary-") : last == "binary-\(arch)"
        }
        var byDirectory: [String: [DebianIndexes.ReleaseFile]] = [:]
        var order: [String] = []
        for file in files {
            let name = String(file.path.split(separator: "/").last ?? "")
            guard ["Packages", "Packages.gz", "Sources", "Sources.gz"].contains(name) else { continue }
            let directory = file.path.split(separator: "/").dropLast().joined(separator: "/")
            guard wanted(directory) else { continue }
            if byDirectory[directory] == nil { order.append(directory) }
            byDirectory[directory, default: []].append(file)
        }
        return order.compactMap { directory in
            let files = byDirectory[directory]!
            return files.first { $0.path.hasSuffix(".gz") } ?? files.first
        }
    }
}
