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
        let document = try await engine.metadata(try packumentRoute(name, abbreviated: false, baseURL: ""))
        let packument = try Packument(Data(document.body.readableBytesView), source: document.sourceURL)
        let versions = packument.root["versions"] as? [String: Any] ?? [:]
        return try versions.keys.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.compactMap { version in
            guard let doc = versions[version] as? [String: Any], let dist = doc["dist"] as? [String: Any], let url = dist["tarball"] as? String else { return nil }
            let filename = Packument.filename(of: url)
            return CatalogRelease(
                version: version, withdrawn: doc["deprecated"] is String,
                artifacts: [CatalogArtifact(filename: filename, size: (dist["size"] as? NSNumber)?.int64Value, route: try tarballRoute(name, filename: filename, engine: engine))])
        }
    }
}

extension NpmAdapter {
    public func versionRange(_ text: String) throws -> VersionRange { try NpmSemver.range(text) }
}
