import Foundation
public import LarderCore

extension FilesAdapter: PackageCatalog {
    /// Plain files have no metadata.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] { [] }

    /// The one file a `pkg:generic/<name>?download_url=…&checksum=sha256:…` names, as a release
    /// without a version.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        [try release(of: package, version: "unversioned")]
    }

    /// The file, whatever the version: a generic package URL names its file by `download_url`.
    public func release(of package: CatalogPackage, version: String, engine: Engine) async throws -> CatalogRelease? {
        try release(of: package, version: version)
    }

    /// Generic versions have no order; only exact versions exist.
    public func versionRange(_ text: String) throws -> VersionRange {
        throw LarderError.badRequest("generic packages have no version ranges")
    }

    private func release(of package: CatalogPackage, version: String) throws -> CatalogRelease {
        guard let url = package.qualifiers["download_url"], !url.isEmpty else {
            throw LarderError.badRequest("a generic package URL names its file with the download_url qualifier (pkg:generic/\(package)?download_url=https://…)")
        }
        guard let upstream = upstreams.first(where: { url.hasPrefix($0.baseURL + "/") }) else {
            let bases = upstreams.map { "\(Self.name(of: $0)): \($0.baseURL)" }.joined(separator: ", ")
            throw LarderError.badRequest(
                "download_url \(UpstreamRequest.redact(url).prefix(200)) is not below a configured files upstream (\(bases.isEmpty ? "none is configured" : bases)); Larder fetches files only from upstreams.files.<name>")
        }
        let path = String(url.dropFirst(upstream.baseURL.count + 1))
        let checksums = Self.checksums(package.qualifiers["checksum"])
        let route = try fileRoute(
            upstream: Self.name(of: upstream), path: path, declaredSHA256: checksums["sha256"].flatMap { Integrity(algorithm: .sha256, hex: $0)?.hex },
            integrity: Integrity.strongest(of: checksums))
        let filename = path.split(separator: "?").first.flatMap { $0.split(separator: "/").last }.map(String.init) ?? path
        return CatalogRelease(version: version, artifacts: [CatalogArtifact(filename: filename.removingPercentEncoding ?? filename, size: nil, route: route)])
    }

    /// The digests of a `checksum` qualifier (`sha256:<hex>,sha1:<hex>`, per the Package URL
    /// specification), by lower-case algorithm name.
    static func checksums(_ qualifier: String?) -> [String: String] {
        var result: [String: String] = [:]
        for item in (qualifier ?? "").split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { result[parts[0].lowercased()] = String(parts[1]) }
        }
        return result
    }
}
