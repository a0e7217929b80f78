import Foundation
public import LarderCore

/// Debian packages for the mirror: `pkg:deb/<vendor>/<name>@<version>?arch=<arch>&distro=<suite>`
/// from the archive named like the vendor (`upstreams.debian.debian`), or the only one
/// configured. Each version's `.deb` comes with the suite's `InRelease`, `Release`,
/// `Release.gpg` and the index files of the architecture, so `apt-get update` works offline.
extension DebianAdapter: PackageCatalog {
    /// Pool files name the package without the vendor (the Package URL's namespace).
    public func routeName(of package: CatalogPackage) -> String { package.name }

    /// The archive, suite and architectures a package URL names.
    func target(_ package: CatalogPackage) throws -> (upstream: Upstream, suite: String, architectures: [String]) {
        let upstream: Upstream
        if let named = upstreams.first(where: { Self.name(of: $0) == package.namespace }) {
            upstream = named
        } else if upstreams.count == 1 {
            upstream = upstreams[0]
        } else {
            let known = upstreams.map(Self.name(of:)).sorted().joined(separator: ", ")
            throw LarderError.badRequest("no Debian archive is named '\(package.namespace ?? "")' (configured: \(known.isEmpty ? "none" : known)); add it as upstreams.debian.\(package.namespace ?? "<name>")")
        }
        guard let suite = package.qualifiers["distro"], !suite.isEmpty, !suite.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw LarderError.badRequest("a Debian package URL names its suite with the distro qualifier (pkg:deb/debian/\(package.name)@<version>?arch=amd64&distro=bookworm)")
        }
        let arch = package.qualifiers["arch"] ?? "amd64"
        guard arch.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else { throw LarderError.badRequest("'\(arch.prefix(50))' is not a Debian architecture") }
        return (upstream, suite, arch == "all" ? ["all"] : [arch, "all"])
    }

    /// The suite's `Release` files (which one exists depends on the archive).
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        let (upstream, suite, _) = try target(package)
        return ["InRelease", "Release", "Release.gpg"].map { indexRoute(upstream, path: "dists/\(suite)/\($0)") }
    }

    /// Every version of the package the suite's indexes for its architecture list.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let (upstream, suite, architectures) = try target(package)
        let (files, _) = try await releaseFiles(upstream, suite: suite, engine: engine)
        var byVersion: [String: [CatalogArtifact]] = [:]
        var order: [String] = []
        for architecture in architectures where architecture != "all" || architectures.count == 1 {
            let probe = "pool/x/\(package.name)_0_\(architecture).deb"
            for index in Self.indexCandidates(files, for: probe) {
                let path = "dists/\(suite)/\(index.path)"
                let entries = try await engine.withMetadata(indexRoute(upstream, path: path, sha256: index.sha256)) {
                    try DebianIndexes.packageEntries($0.body, path: path, maxSize: Self.maxIndexBytes)
                }
                for entry in entries where entry.package == package.name && architectures.contains(entry.architecture) {
                    if byVersion[entry.version] == nil { order.append(entry.version) }
                    let filename = String(entry.filename.split(separator: "/").last ?? "")
                    guard byVersion[entry.version]?.contains(where: { $0.filename == filename }) != true else { continue }
                    byVersion[entry.version, default: []].append(CatalogArtifact(filename: filename, size: nil, route: poolRoute(upstream, path: entry.filename, engine: engine)))
                }
            }
        }
        return order.map { CatalogRelease(version: $0, artifacts: byVersion[$0]!) }
    }

    /// The suite's index files apt reads for the package's architectures (`Packages` in every
    /// compression and by hash, translations), so `apt-get update` works offline.
    public func companions(of release: CatalogRelease, package: CatalogPackage, engine: Engine) async throws -> [CatalogArtifact] {
        let (upstream, suite, architectures) = try target(package)
        let (files, byHash) = try await releaseFiles(upstream, suite: suite, engine: engine)
        var companions: [CatalogArtifact] = []
        for file in files {
            let parts = file.path.split(separator: "/")
            guard parts.count >= 2 else { continue }
            let directory = String(parts[parts.count - 2])
            let wanted = architectures.contains { directory == "binary-\($0)" } || directory == "i18n"
            guard wanted else { continue }
            let path = "dists/\(suite)/\(file.path)"
            companions.append(CatalogArtifact(filename: file.path, size: file.size, route: indexRoute(upstream, path: path, sha256: file.sha256), optional: true))
            // Where the Release says Acquire-By-Hash, apt asks by hash, by the strongest it lists.
            if byHash {
                let (algorithm, hex) = file.sha512.map { ("SHA512", $0) } ?? ("SHA256", file.sha256)
                let hashed = "dists/\(suite)/\(parts.dropLast().joined(separator: "/"))/by-hash/\(algorithm)/\(hex)"
                companions.append(CatalogArtifact(filename: "\(file.path) (by hash)", size: file.size, route: try byHashRoute(upstream, path: hashed, algorithm: algorithm, hex: hex), optional: true))
            }
        }
        return companions
    }

    /// Debian versions have an order of their own; only exact versions are mirrored.
    public func versionRange(_ text: String) throws -> VersionRange {
        throw LarderError.badRequest("Debian package URLs take exact versions (as apt-cache policy shows them)")
    }

    /// The files the suite's `InRelease` (else `Release`) lists, and whether it says to fetch
    /// them by hash.
    func releaseFiles(_ upstream: Upstream, suite: String, engine: Engine) async throws -> ([DebianIndexes.ReleaseFile], Bool) {
        var firstError: (any Error)?
        for file in ["InRelease", "Release"] {
            do {
                return try await engine.withMetadata(indexRoute(upstream, path: "dists/\(suite)/\(file)")) {
                    let text = String(decoding: $0.body.readableBytesView, as: UTF8.self)
                    return (DebianIndexes.releaseFiles(text), DebianIndexes.acquiresByHash(text))
                }
            } catch {
                firstError = firstError ?? error
            }
        }
        throw firstError!
    }
}
