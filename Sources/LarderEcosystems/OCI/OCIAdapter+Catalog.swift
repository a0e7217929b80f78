import Foundation
public import LarderCore
import NIOFoundationCompat

extension OCIAdapter: PackageCatalog {
    /// The manifest a `tag` qualifier names, so clients can pull by tag offline.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        guard let tag = package.qualifiers["tag"] else { return [] }
        let (upstream, repository) = try locate(package)
        return [try manifestRoute(upstream, repository, reference: tag)]
    }

    /// Without a digest: the image the `tag` qualifier (else `latest`) names now.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let (upstream, repository) = try locate(package)
        let route = try manifestRoute(upstream, repository, reference: package.qualifiers["tag"] ?? "latest")
        // A manifest is stored byte for byte, so its digest is the stored document's.
        let digest = try await engine.withMetadata(route) { "sha256:" + $0.entry.digest }
        return [try await image(package, upstream, repository, digest: digest, engine: engine)]
    }

    /// The image with digest `version` (`sha256:<hex>`): the manifest or index, every manifest
    /// an index lists (or those of the `arch` qualifier's platform), their configs and layers.
    public func release(of package: CatalogPackage, version: String, engine: Engine) async throws -> CatalogRelease? {
        guard try OCIName.sha256(version) != nil else { return nil }
        let (upstream, repository) = try locate(package)
        return try await image(package, upstream, repository, digest: version, engine: engine)
    }

    /// Routes name an image by its repository on the registry (`library/alpine`), as `locate`
    /// finds it from the package URL.
    public func routeName(of package: CatalogPackage) -> String {
        (try? locate(package).1) ?? ([package.namespace, package.name].compactMap { $0 }.joined(separator: "/"))
    }

    /// Images are named by digest or tag; there are no ranges.
    public func versionRange(_ text: String) throws -> VersionRange {
        throw LarderError.badRequest("an OCI image is named by digest (pkg:oci/<name>@sha256:<hex>) or by its tag qualifier (?tag=<tag>), not by a range")
    }

    /// The largest manifest read to plan an image.
    static let maxManifestBytes = 4 << 20

    private func image(_ package: CatalogPackage, _ upstream: Upstream, _ repository: String, digest: String, engine: Engine) async throws -> CatalogRelease {
        var artifacts: [CatalogArtifact] = []
        let arch = package.qualifiers["arch"]
        func add(manifest digest: String, depth: Int) async throws {
            let route = try manifestRoute(upstream, repository, reference: digest)
            artifacts.append(CatalogArtifact(filename: "manifest \(digest)", size: nil, route: route))
            let body = try await engine.contents(of: route, maxSize: Self.maxManifestBytes)
            guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                throw LarderError(.upstreamFailed, "manifest \(digest) of \(repository) is not a JSON object")
            }
            if let children = json["manifests"] as? [[String: Any]] {
                guard depth == 0 else { throw LarderError(.upstreamFailed, "index \(digest) of \(repository) nests another index") }
                for child in children {
                    guard let childDigest = child["digest"] as? String else { continue }
                    let platform = child["platform"] as? [String: Any]
                    if let arch, let childArch = platform?["architecture"] as? String, childArch != arch { continue }
                    try await add(manifest: childDigest, depth: depth + 1)
                }
                return
            }
            let blobs = ([json["config"] as? [String: Any]] + (json["layers"] as? [[String: Any]] ?? []).map { $0 }).compactMap { $0 }
            for blob in blobs {
                guard let blobDigest = blob["digest"] as? String, let integrity = try OCIName.sha256(blobDigest) else { continue }
                artifacts.append(CatalogArtifact(
                    filename: "blob \(blobDigest)", size: (blob["size"] as? NSNumber)?.int64Value,
                    route: blobRoute(upstream, repository, digest: blobDigest, integrity: integrity)))
            }
        }
        try await add(manifest: digest, depth: 0)
        return CatalogRelease(version: digest, artifacts: artifacts)
    }

    /// The upstream and repository a package URL names: `repository_url`
    /// (`<registry>/<repository>`, the registry matched by name or host), else the default
    /// registry and the package's name.
    func locate(_ package: CatalogPackage) throws -> (Upstream, String) {
        guard let url = package.qualifiers["repository_url"], !url.isEmpty else {
            return try select([package.namespace, package.name].compactMap { $0 }.flatMap { $0.split(separator: "/").map(String.init) })
        }
        let trimmed = url.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
        let parts = trimmed.split(separator: "/").map(String.init)
        guard parts.count >= 2 else {
            throw LarderError.badRequest("repository_url '\(url.prefix(200))' names no repository (<registry>/<repository>)")
        }
        let registry = parts[0].lowercased()
        let hubAliases: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io"]
        let upstream = upstreams.first { $0.name?.lowercased() == registry }
            ?? upstreams.first { $0.origin.authority == registry }
            ?? (hubAliases.contains(registry) ? upstreams.first { $0.origin.host == "registry-1.docker.io" } : nil)
        guard let upstream else {
            throw LarderError.badRequest("the registry \(registry.prefix(100)) of repository_url is not configured: add it as upstreams.oci.\(registry.prefix(100))")
        }
        let repository = parts.dropFirst().joined(separator: "/")
        guard OCIName.isRepository(repository) else {
            throw LarderError.badRequest("'\(repository.prefix(200))' in repository_url is not a repository name")
        }
        return (upstream, repository)
    }
}
