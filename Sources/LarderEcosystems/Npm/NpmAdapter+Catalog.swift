import Foundation
public import LarderCore

extension NpmAdapter: PackageCatalog {
    /// Package documents date every version (`time`).
    public var versionsCarryDates: Bool { true }

    /// Both package documents: `npm install` reads the abbreviated one, `npm view` the full one.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        let name = try NpmPackageName(package.description)
        return [try packumentRoute(name, abbreviated: true, baseURL: ""), try packumentRoute(name, abbreviated: false, baseURL: "")]
    }

    /// Releases from the full package document, one tarball each; deprecated versions count as
    /// withdrawn.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let name = try NpmPackageName(package.description)
        let listed = try await engine.withMetadata(try packumentRoute(name, abbreviated: false, baseURL: "")) { document in
            try Packument(document.body, source: document.sourceURL).releases()
                .sorted { $0.version.compare($1.version, options: .numeric) == .orderedAscending }
                .compactMap { release -> (version: String, withdrawn: Bool, filename: String, size: Int64?)? in
                    guard let tarball = release.tarball else { return nil }
                    return (release.version, release.deprecated, tarball.filename, release.size)
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
