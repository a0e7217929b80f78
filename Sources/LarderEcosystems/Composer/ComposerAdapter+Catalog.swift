import Foundation
public import LarderCore

extension ComposerAdapter: PackageCatalog {
    /// Package metadata dates every version (`time`).
    public var versionsCarryDates: Bool { true }

    /// What `composer install` reads: `packages.json` and the package's stable metadata.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        let name = try packageName(package)
        return [try clientRootRoute(baseURL: "", engine: engine), try metadataRoute(name, dev: false, baseURL: "", engine: engine)]
    }

    /// Releases from the stable metadata, one archive each.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let name = try packageName(package)
        let versions = try await engine.withMetadata(try metadataRoute(name, dev: false, baseURL: "", engine: engine)) { document in
            try ComposerMetadata.versions(document.body, package: name).compactMap { entry -> (String, String, Bool)? in
                guard let version = entry["version"] as? String, let file = ComposerMetadata.distFile(entry) else { return nil }
                return (version, file, entry["abandoned"] != nil && entry["abandoned"] as? Bool != false)
            }
        }
        return try versions.map { version, file, abandoned in
            CatalogRelease(version: version, withdrawn: abandoned, artifacts: [CatalogArtifact(filename: "\(name)-\(version)-\(file)", size: nil, route: try distRoute(name, version: version, file: file, engine: engine))])
        }
    }

    /// Composer's constraints, npm-like (`^1.2`, `~1.2`, `>=1.0 <2.0`, `1.2.*`, `||`); commas
    /// and `|` are read as npm's AND and `||`.
    public func versionRange(_ text: String) throws -> VersionRange {
        let npmForm = text.replacingOccurrences(of: ",", with: " ").replacingOccurrences(of: "||", with: "|").replacingOccurrences(of: "|", with: " || ")
        let range = try NpmSemver.range(npmForm.replacingOccurrences(of: #"(^|[\s<>=~^|])v(?=\d)"#, with: "$1", options: .regularExpression))
        return VersionRange { range.contains($0.hasPrefix("v") ? String($0.dropFirst()) : $0) }
    }

    private func packageName(_ package: CatalogPackage) throws -> String {
        guard let vendor = package.namespace else { throw LarderError.badRequest("'\(package.description.prefix(80))' is not a Composer package (pkg:composer/<vendor>/<name>@<version>)") }
        return try Self.packageName(vendor, package.name)
    }
}
