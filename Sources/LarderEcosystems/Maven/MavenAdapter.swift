import Crypto
import Foundation
public import LarderCore
import NIOCore

/// A Maven repository, mounted at `/maven/`: the standard layout, for `mvn` (a `settings.xml`
/// mirror), Gradle and anything else that reads one. Release files are artifacts, verified
/// against the upstream's checksum files and kept forever; `maven-metadata.xml` and `-SNAPSHOT`
/// files are metadata, revalidated after the TTL and served stale when upstream is down, and
/// their checksum files are computed from the copy Larder serves, so they always agree.
/// Upstreams with `verify_on_hit` have each cached file confirmed before it is served, for
/// repositories where a version can be published again.
public struct MavenAdapter: Ecosystem {
    public static let name = "maven"
    /// Maven Central.
    public static let defaultUpstreams = ["https://repo.maven.apache.org/maven2"]
    /// The upstream repositories, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only Maven mirror: deploy to your upstream repository directly (mvn deploy with its distributionManagement URL)")
        }
        return .route(try route(for: MavenPath(request.path), engine: engine))
    }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("Maven") }
        return upstreams
    }

    /// The route of a repository file.
    func route(for path: MavenPath, engine: Engine) throws -> Route {
        if path.isMutable { return try metadataRoute(for: path) }
        let upstreams = try configuredUpstreams()
        var route: Route
        if let (_, algorithm) = path.checksumOf {
            route = Route(ecosystem: ecosystem, key: "maven/\(path)", kind: .artifact, package: path.package, contentType: "text/plain") {
                upstreams.map { Source(request: $0.request(path: path.urlPath), verifier: ChecksumFileVerifier(algorithm: algorithm)) }
            }
        } else {
            let client = engine.upstream
            route = Route(ecosystem: ecosystem, key: "maven/\(path)", kind: .artifact, package: path.package, contentType: Self.contentType(of: path.fileName)) {
                upstreams.map { Source(request: $0.request(path: path.urlPath), verifier: MavenChecksumVerifier(client: client, upstream: $0, path: path)) }
            }
        }
        if upstreams.contains(where: \.verifyOnHit) {
            let client = engine.upstream
            let deadline = engine.configuration.hitCheckTimeout
            route.hitCheck = { entry in
                guard let upstream = upstreams.first(where: { $0.id == entry.upstream }), upstream.verifyOnHit else { return .serve }
                return await MavenCoherence.check(entry, path: path, upstream: upstream, client: client, deadline: deadline)
            }
        }
        return route
    }

    /// The route of a file that changes upstream (`maven-metadata.xml`, snapshots), or of its
    /// checksum.
    func metadataRoute(for path: MavenPath) throws -> Route {
        let upstreams = try configuredUpstreams()
        if let (document, algorithm) = path.checksumOf {
            return checksumOfDocument(document, algorithm: algorithm, upstreams: upstreams)
        }
        var route = Route(ecosystem: ecosystem, key: "maven/\(path)", kind: .metadata, package: path.package) {
            upstreams.map { $0.source(path: path.urlPath) }
        }
        if path.fileName.hasPrefix("maven-metadata") {
            route.validate = { body, _ in try MavenXML.validateMetadata(body) }
            route.filterVersions = { document in ByteBuffer(string: Self.filteredMetadata(document)) }
        }
        return route
    }

    /// A checksum of a metadata file, computed from the copy Larder serves so the two agree
    /// whatever upstream did in between.
    private func checksumOfDocument(_ document: MavenPath, algorithm: Integrity.Algorithm, upstreams: [Upstream]) -> Route {
        // The checksum of what clients get: with versions the package rules hide left out.
        let filtered = document.fileName.hasPrefix("maven-metadata")
        let presenter = MetadataPresenter(variant: "checksum:\(algorithm.rawValue)") { stored in
            let body = filtered && !stored.versions.allowsEverything ? ByteBuffer(string: Self.filteredMetadata(stored)) : stored.body
            return Presentation(body: ByteBuffer(string: Self.digest(body, algorithm)), contentType: "text/plain")
        }
        return Route(ecosystem: ecosystem, key: "maven/\(document)", kind: .metadata, package: document.package, presenter: presenter) {
            upstreams.map { $0.source(path: document.urlPath) }
        }
    }

    /// A stored `maven-metadata.xml` as clients get it: without the versions its filter refuses.
    static func filteredMetadata(_ document: MetadataDocument) -> String {
        MavenXML.filteredMetadata(String(decoding: document.body.readableBytesView, as: UTF8.self), allowed: document.versions)
    }

    static func digest(_ body: ByteBuffer, _ algorithm: Integrity.Algorithm) -> String {
        body.withUnsafeReadableBytes { bytes in
            switch algorithm {
            case .sha1: Insecure.SHA1.hash(data: bytes).hexDigest
            case .md5: Insecure.MD5.hash(data: bytes).hexDigest
            case .sha256: SHA256.hash(data: bytes).hexDigest
            case .sha384: SHA384.hash(data: bytes).hexDigest
            case .sha512: SHA512.hash(data: bytes).hexDigest
            }
        }
    }

    static func contentType(of fileName: String) -> String? {
        if fileName.hasSuffix(".pom") || fileName.hasSuffix(".xml") { return "application/xml" }
        if fileName.hasSuffix(".jar") || fileName.hasSuffix(".war") || fileName.hasSuffix(".ear") { return "application/java-archive" }
        if fileName.hasSuffix(".asc") { return "text/plain" }
        return nil
    }
}
