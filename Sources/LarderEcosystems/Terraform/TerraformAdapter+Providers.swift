import Crypto
import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat
import Synchronization

/// A provider as the mirror protocol names it: `<host>/<namespace>/<type>`, lower-case.
struct TerraformProvider: Sendable {
    var host: String
    var namespace: String
    var type: String
    var keyPrefix: String { "terraform/\(host)/providers/\(namespace)/\(type)" }
    /// The package a version of it is: `host/namespace/type`, as in its Package URL.
    func package(version: String? = nil) -> PackageRef { PackageRef("\(host)/\(namespace)/\(type)", version: version) }
}

extension TerraformAdapter {
    /// `providers/<host>/<namespace>/<type>/<file>`: `index.json`, `<version>.json` or an archive.
    func providerRequest(_ parts: [String], request: ClientRequest, engine: Engine) async throws -> Resolution {
        let provider = TerraformProvider(host: parts[0].lowercased(), namespace: parts[1].lowercased(), type: parts[2].lowercased())
        try TerraformNames.require(TerraformNames.isLabel, [provider.namespace, provider.type], what: "provider namespace or type")
        let upstream = try upstream(for: provider.host, engine: engine)
        let file = parts[3]
        if file == "index.json" { return .route(versionsRoute(provider, upstream: upstream, engine: engine, presentingIndex: true)) }
        if file.hasSuffix(".json") {
            let version = String(file.dropLast(5))
            try TerraformNames.require(TerraformNames.isVersion, [version], what: "provider version")
            // Made from several documents, not one route: the package rules are asked here.
            try await engine.checkPolicy(Route(ecosystem: ecosystem, key: "\(provider.keyPrefix)/\(version)", kind: .metadata, package: provider.package(version: version)) { [] })
            return .response(try await versionDocument(provider, version: version, upstream: upstream, engine: engine))
        }
        guard let archive = TerraformNames.parseProviderArchive(file, type: provider.type) else {
            throw LarderError.notFound("no mirror document here: a provider has index.json, <version>.json and archives named \(TerraformNames.providerArchive(type: provider.type, version: "<version>", os: "<os>", arch: "<arch>"))")
        }
        return .route(archiveRoute(provider, version: archive.version, platform: .init(os: archive.os, arch: archive.arch), filename: file, upstream: upstream, engine: engine))
    }

    /// The provider's versions from its registry (metadata); for `index.json`, presented as the
    /// mirror protocol's `{"versions": {"<version>": {}}}`.
    func versionsRoute(_ provider: TerraformProvider, upstream: Upstream, engine: Engine, presentingIndex: Bool = false) -> Route {
        var route = Route(ecosystem: ecosystem, key: "\(provider.keyPrefix)/versions", kind: .metadata, package: provider.package(), contentType: "application/json") {
            [try await serviceSource("providers.v1", path: "\(provider.namespace)/\(provider.type)/versions", of: upstream, engine: engine)]
        }
        route.validate = { body, _ in _ = try TerraformDocuments.decode(TerraformDocuments.ProviderVersions.self, body, what: "a provider's version list") }
        if presentingIndex {
            route.presenter = MetadataPresenter(variant: "index.json") { document in
                let versions = try TerraformDocuments.decode(TerraformDocuments.ProviderVersions.self, document.body, what: "a provider's version list")
                var index: [String: Any] = [:]
                for version in versions.versions where TerraformNames.isVersion(version.version) && document.versions.allows(version.version) { index[version.version] = [String: Any]() }
                let body = try JSONSerialization.data(withJSONObject: ["versions": index], options: [.sortedKeys])
                return Presentation(body: ByteBuffer(bytes: body), contentType: "application/json")
            }
        }
        return route
    }

    /// The registry's download document for one version and platform (metadata).
    func downloadRoute(_ provider: TerraformProvider, version: String, platform: TerraformDocuments.ProviderVersions.Platform, upstream: Upstream, engine: Engine) -> Route {
        let path = "\(provider.namespace)/\(provider.type)/\(version)/download/\(platform.os)/\(platform.arch)"
        var route = Route(ecosystem: ecosystem, key: "\(provider.keyPrefix)/\(version)/download/\(platform.os)/\(platform.arch)", kind: .metadata, package: provider.package(version: version), contentType: "application/json") {
            [try await serviceSource("providers.v1", path: path, of: upstream, engine: engine)]
        }
        route.validate = { body, _ in _ = try TerraformDocuments.decode(TerraformDocuments.ProviderDownload.self, body, what: "a provider download document") }
        return route
    }

    /// A download document, with the URL it came from.
    func download(_ provider: TerraformProvider, version: String, platform: TerraformDocuments.ProviderVersions.Platform, upstream: Upstream, engine: Engine) async throws -> (TerraformDocuments.ProviderDownload, String) {
        try await engine.withMetadata(downloadRoute(provider, version: version, platform: platform, upstream: upstream, engine: engine)) {
            (try TerraformDocuments.decode(TerraformDocuments.ProviderDownload.self, $0.body, what: "a provider download document"), $0.sourceURL)
        }
    }

    /// `<version>.json`: every platform the registry lists for the version, each with its archive
    /// (in the packed layout, relative to this document) and its `zh:` hash from the registry's
    /// signed `SHA256SUMS`.
    func versionDocument(_ provider: TerraformProvider, version: String, upstream: Upstream, engine: Engine) async throws -> EngineResponse {
        let versions = try await engine.withMetadata(versionsRoute(provider, upstream: upstream, engine: engine)) {
            try TerraformDocuments.decode(TerraformDocuments.ProviderVersions.self, $0.body, what: "a provider's version list")
        }
        guard let entry = versions.versions.first(where: { $0.version == version }), let platforms = entry.platforms,
            // A mirrored platform's download document is on hand offline.
            let first = platforms.first(where: { mirrorPlatforms.contains($0.key) }) ?? platforms.first
        else {
            throw LarderError.notFound("provider \(provider.host)/\(provider.namespace)/\(provider.type) has no version \(version) with platforms upstream")
        }
        let (download, source) = try await download(provider, version: version, platform: first, upstream: upstream, engine: engine)
        let sums = try await verifiedSums(provider, version: version, download: download, source: source, upstream: upstream, engine: engine)
        var archives: [String: Any] = [:]
        for platform in platforms where TerraformNames.isPlatformPart(platform.os) && TerraformNames.isPlatformPart(platform.arch) {
            guard let hash = Self.sum(in: sums, type: provider.type, version: version, platform: platform) else { continue }
            archives[platform.key] = [
                "url": TerraformNames.providerArchive(type: provider.type, version: version, os: platform.os, arch: platform.arch),
                "hashes": ["zh:\(hash)"],
            ]
        }
        return Self.json(["archives": archives])
    }

    /// The SHA-256 `sums` lists for a platform's archive: under its usual name, else the one
    /// name ending in `_<os>_<arch>.zip`.
    static func sum(in sums: [String: String], type: String, version: String, platform: TerraformDocuments.ProviderVersions.Platform) -> String? {
        if let exact = sums[TerraformNames.providerArchive(type: type, version: version, os: platform.os, arch: platform.arch)] { return exact }
        let matches = sums.filter { $0.key.hasSuffix("_\(platform.os)_\(platform.arch).zip") }
        return matches.count == 1 ? matches.first!.value : nil
    }

    /// The archive for one platform: immutable, fetched from where the registry's download
    /// document says, verified against its SHA-256, which must be the one the signed
    /// `SHA256SUMS` lists.
    func archiveRoute(_ provider: TerraformProvider, version: String, platform: TerraformDocuments.ProviderVersions.Platform, filename: String, upstream: Upstream, engine: Engine) -> Route {
        Route(ecosystem: ecosystem, key: "\(provider.keyPrefix)/\(filename)", kind: .artifact, package: provider.package(version: version), contentType: "application/zip") {
            let (download, source) = try await download(provider, version: version, platform: platform, upstream: upstream, engine: engine)
            let sums = try await verifiedSums(provider, version: version, download: download, source: source, upstream: upstream, engine: engine)
            guard let integrity = Integrity(algorithm: .sha256, hex: download.shasum) else {
                throw LarderError(.upstreamFailed, "the registry for \(provider.host) gives '\(download.shasum.prefix(100))' as the SHA-256 of \(download.filename), which is not one")
            }
            guard sums[download.filename] == integrity.hex else {
                throw LarderError(.integrityMismatch, "the registry for \(provider.host) promises a SHA-256 for \(download.filename) that its signed SHA256SUMS does not list; the archive is refused")
            }
            return [Source(request: try upstream.request(url: try Self.resolve(download.download_url, against: source)), integrity: integrity)]
        }
    }

    /// The registry's `SHA256SUMS` for a version (filename to SHA-256), once its signature is
    /// found good by one of the keys the download document publishes.
    func verifiedSums(_ provider: TerraformProvider, version: String, download: TerraformDocuments.ProviderDownload, source: String, upstream: Upstream, engine: Engine) async throws -> [String: String] {
        func fileRoute(_ name: String, url: String) throws -> Route {
            let request = try upstream.request(url: try Self.resolve(url, against: source))
            return Route(ecosystem: ecosystem, key: "\(provider.keyPrefix)/\(version)/\(name)", kind: .metadata, package: provider.package(version: version)) { [Source(request: request)] }
        }
        var sumsRoute = try fileRoute("SHA256SUMS", url: download.shasums_url)
        sumsRoute.validate = { body, _ in _ = try TerraformDocuments.sha256Sums(String(decoding: body.readableBytesView, as: UTF8.self)) }
        let sums = try await engine.withMetadata(sumsRoute) { Data($0.body.readableBytesView) }
        let signature = try await engine.withMetadata(try fileRoute("SHA256SUMS.sig", url: download.shasums_signature_url)) { Data($0.body.readableBytesView) }
        let keys = download.signing_keys?.gpg_public_keys?.map(\.ascii_armor) ?? []
        let what = "the SHA256SUMS of \(provider.host)/\(provider.namespace)/\(provider.type) \(version)"
        let fingerprint = [sums, signature, Data(keys.joined(separator: "\u{0}").utf8)].map { SHA256.hash(data: $0).hexDigest }.joined(separator: ":")
        if !goodSignatures.contains(fingerprint) {
            try await verifier.verify(sums, signature: signature, armoredKeys: keys, what: what)
            goodSignatures.insert(fingerprint)
        }
        return try TerraformDocuments.sha256Sums(String(decoding: sums, as: UTF8.self))
    }

    /// `url` resolved against the URL of the document that named it.
    static func resolve(_ url: String, against source: String) throws -> String {
        guard let base = URL(string: source), let resolved = URL(string: url, relativeTo: base)?.absoluteString else {
            throw LarderError(.upstreamFailed, "upstream \(source) names '\(url.prefix(200))', which is not a URL")
        }
        return resolved
    }
}

/// Signatures found good, by a fingerprint of the signed file, the signature and the keys; kept
/// for the life of the process (at most 4,096).
final class TerraformSignatureCache: Sendable {
    private let good = Mutex<Set<String>>([])

    func contains(_ fingerprint: String) -> Bool { good.withLock { $0.contains(fingerprint) } }

    func insert(_ fingerprint: String) {
        good.withLock { set in
            if set.count >= 4096 { set.removeAll() }
            set.insert(fingerprint)
        }
    }
}
