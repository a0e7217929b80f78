import Foundation
public import LarderCore

extension NpmAdapter: PackageCatalog {
    /// Both package documents: `npm install` reads the abbreviated one, `npm view` the full one.
    public func metadataRoutes(for package: CatalogPackage) throws -> [Route] {
        let name = try NpmPackageName(package.description)
        return [try packumentRoute(name, abbreviated: true, baseURL: ""), try packumentRoute(name, abbreviated: false, baseURL: "")]
    }

    /// Releases from the full package document, one tarball each; deprecated versions count as
    /// withdrawn.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let name = try NpmPackageName(package.description)
        let listed = try await engine.withMetadata(try packumentRoute(name, abbreviated: false, baseURL: "")) { document in
            let packument = try Packument(Data(document.body.readableBytesView), source: document.sourceURL)
            let versions = packument.root["versions"] as? [String: Any] ?? [:]
            return versions.keys.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.compactMap { version -> (version: String, withdrawn: Bool, filename: String, size: Int64?)? in
                guard let doc = versions[version] as? [String: Any], let dist = doc["dist"] as? [String: Any], let url = dist["tarball"] as? String else { return nil }
                return (version, doc["deprecated"] is String, Packument.filename(of: url), (dist["size"] as? NSNumber)?.int64Value)
            }
        }
        return try listed.map { release in
            CatalogRelease(
                version: release.version, withdrawn: release.withdrawn,
                artifacts: [CatalogArtifact(filename: release.filename, size: release.size, route: try tarballRoute(name, filename: release.filename, engine: engine))])
        }
    }
}

extension NpmAdapter {
    public func versionRange(_ text: String) throws -> VersionRange { try NpmSemver.range(text) }
}
