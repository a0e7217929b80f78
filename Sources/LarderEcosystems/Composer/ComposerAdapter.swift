import Foundation
public import LarderCore
import NIOCore

/// A Composer 2 repository, mounted at `/composer/`: `packages.json` with its `metadata-url`
/// pointing at Larder, `p2/<vendor>/<name>.json` and `~dev.json` (metadata, each version's
/// `dist.url` rewritten to Larder), and `dists/<vendor>/<name>/<version>/<reference>.<type>`,
/// the archives, immutable and checked against `dist.shasum` where the repository gives one.
/// The upstream's `metadata-url` template is read from its `packages.json` and resolved
/// against it (Packagist's `/p2/%package%.json` is relative to the host).
public struct ComposerAdapter: Ecosystem {
    public static let name = "composer"
    /// Packagist.
    public static let defaultUpstreams = ["https://repo.packagist.org"]
    /// Where Packagist's dist URLs point (GitHub's API redirects to codeload).
    static let publicArchiveHosts: [String: [String]] = [
        "repo.packagist.org": ["api.github.com", "codeload.github.com", "github.com", "gitlab.com", "bitbucket.org"]
    ]
    /// The upstream repositories, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter; Packagist may name the code hosts its archives come from.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams.addingPublicHosts(Self.publicArchiveHosts)
    }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("Composer") }
        return upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only Composer repository: publish to your upstream repository directly")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        switch segments.first {
        case "packages.json" where segments.count == 1:
            return .route(try clientRootRoute(baseURL: request.baseURL, engine: engine))
        case "p2" where segments.count == 3 && segments[2].hasSuffix(".json"):
            let file = String(segments[2].dropLast(".json".count))
            let dev = file.hasSuffix("~dev")
            let package = try Self.packageName(segments[1], dev ? String(file.dropLast(4)) : file)
            return .route(try metadataRoute(package, dev: dev, baseURL: request.baseURL, engine: engine))
        case "dists" where segments.count == 5:
            return .route(try distRoute(try Self.packageName(segments[1], segments[2]), version: segments[3], file: segments[4], engine: engine))
        default:
            throw LarderError.notFound(
                "no Composer route here: Larder serves /composer/packages.json, /composer/p2/<vendor>/<name>.json and the archives they link; add {\"type\": \"composer\", \"url\": \"\(request.baseURL)/composer\"} to your repositories")
        }
    }

    /// `vendor/name`, checked: lower-case letters, digits and `_.-` inside.
    static func packageName(_ vendor: String, _ name: String) throws -> String {
        func valid(_ part: String) -> Bool {
            guard let first = part.unicodeScalars.first, let last = part.unicodeScalars.last, part.count <= 100 else { return false }
            let alnum = { (c: Unicode.Scalar) in ("a"..."z").contains(c) || ("0"..."9").contains(c) }
            return alnum(first) && alnum(last) && part.unicodeScalars.allSatisfy { alnum($0) || "_.-".unicodeScalars.contains($0) }
        }
        guard valid(vendor), valid(name) else { throw LarderError.badRequest("'\(vendor.prefix(100))/\(name.prefix(100))' is not a Composer package name (vendor/name, lower-case)") }
        return "\(vendor)/\(name)"
    }

    /// `packages.json` of `upstream`, as stored.
    func rootRoute(_ upstream: Upstream) -> Route {
        var route = Route(ecosystem: ecosystem, key: "composer/root/\(upstream.id)", kind: .metadata) {
            [upstream.source(path: "/packages.json")]
        }
        route.validate = { body, _ in _ = try ComposerMetadata.metadataTemplate(body, documentURL: upstream.baseURL + "/packages.json") }
        return route
    }

    /// The `packages.json` clients get: the first upstream's the requester may read, pointing
    /// at Larder.
    public func clientRootRoute(baseURL: String, engine: Engine) throws -> Route {
        guard let first = try configuredUpstreams().first(where: { engine.mayRead($0, ecosystem: ecosystem) }) else {
            throw LarderError.notFound("no Composer repository here that this client may read")
        }
        var route = rootRoute(first)
        let mountURL = "\(baseURL)/\(mount)"
        route.presenter = MetadataPresenter(variant: baseURL) { document in
            Presentation(body: try ComposerMetadata.renderedRoot(document.body, mountURL: mountURL), contentType: "application/json")
        }
        return route
    }

    /// A package's metadata (`~dev` for its development versions), from each upstream's
    /// `metadata-url` in turn; clients get every `dist.url` pointing at Larder.
    public func metadataRoute(_ package: String, dev: Bool, baseURL: String, engine: Engine) throws -> Route {
        let upstreams = try configuredUpstreams()
        let file = package + (dev ? "~dev" : "")
        let adapter = self
        let distBase = "\(baseURL)/\(mount)/dists/\(package)"
        var route = Route(ecosystem: ecosystem, key: "composer/p2/\(file)", kind: .metadata, package: PackageRef(package), presenter: MetadataPresenter(variant: baseURL) { document in
            Presentation(body: try ComposerMetadata.rendered(document.body, package: package, distBase: distBase, allowed: document.versions), contentType: "application/json")
        }) {
            var sources: [Source] = []
            for upstream in upstreams where engine.mayRead(upstream, ecosystem: adapter.ecosystem) {
                let template = try await engine.withMetadata(adapter.rootRoute(upstream)) { try ComposerMetadata.metadataTemplate($0.body, documentURL: $0.sourceURL) }
                sources.append(Source(request: try upstream.request(url: template.replacingOccurrences(of: "%package%", with: file))))
            }
            return sources
        }
        route.validate = { body, _ in _ = try ComposerMetadata.versions(body, package: package) }
        route.versionDates = { document in
            try ComposerMetadata.versions(document.body, package: package).compactMap { entry in
                (entry["version"] as? String).map { VersionDate($0, published: (entry["time"] as? String).flatMap(RFC3339.date)) }
            }
        }
        route.parseMemoryFactor = 16
        return route
    }

    /// A version's archive: its URL and `shasum` from the metadata of the upstream that listed it.
    public func distRoute(_ package: String, version: String, file: String, engine: Engine) throws -> Route {
        let upstreams = try configuredUpstreams()
        guard ComposerMetadata.isSafeSegment(version), ComposerMetadata.isSafeSegment(file) else {
            throw LarderError.badRequest("'\(version.prefix(100))/\(file.prefix(100))' is not a version and archive name")
        }
        let dev = version.hasPrefix("dev-") || version.hasSuffix("-dev")
        let metadata = try metadataRoute(package, dev: dev, baseURL: "", engine: engine)
        var route = Route(ecosystem: ecosystem, key: "composer/dists/\(package)/\(version)/\(file)", kind: .artifact, package: PackageRef(package, version: version), contentType: "application/octet-stream") {
            let found = try await engine.withMetadata(metadata) { document -> (url: String, shasum: String?, upstream: String?)? in
                let versions = try ComposerMetadata.versions(document.body, package: package)
                guard let entry = versions.first(where: { $0["version"] as? String == version && ComposerMetadata.distFile($0) == file }),
                    let dist = entry["dist"] as? [String: Any], let url = dist["url"] as? String
                else { return nil }
                return (url, dist["shasum"] as? String, document.entry.upstream)
            }
            guard let found else {
                throw LarderError.notFound("\(package) has no version \(version.prefix(100)) with the archive \(file.prefix(100)) upstream")
            }
            guard let upstream = upstreams.upstream(withID: found.upstream) else { throw Self.notConfigured("Composer") }
            let url = found.url
            let shasum = found.shasum.flatMap { $0.isEmpty ? nil : Integrity(algorithm: .sha1, hex: $0.lowercased()) }
            return [Source(request: try upstream.request(url: url), integrity: shasum)]
        }
        // composer install reads archives from composer.lock without the metadata: it dates them.
        route.datedBy = [metadata]
        return route
    }
}
