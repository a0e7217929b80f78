import Foundation
public import LarderCore

extension PyPIAdapter: PackageCatalog {
    /// PEP 700 JSON pages date every file (`upload-time`); a page without dates leaves its
    /// versions undated, and a cooldown then holds them back from when Larder first saw them.
    public var versionsCarryDates: Bool { true }

    /// Project pages and files are named by the PEP 503 normalised name.
    public func routeName(of package: CatalogPackage) -> String { PyPIName.normalize(package.name) }

    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        [try projectRoute(PyPIName.normalize(package.name), request: nil)]
    }

    /// Releases from the project page: files grouped by the version in their names, each with
    /// its PEP 658 metadata file when the page offers one (pip reads it before the file).
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let project = PyPIName.normalize(package.name)
        let page = try await engine.withMetadata(try projectRoute(project, request: nil)) { try Self.parse($0, name: project) }
        var order: [String] = []
        var byVersion: [String: (withdrawn: Bool, artifacts: [CatalogArtifact])] = [:]
        for file in page.files {
            guard let version = Self.version(of: file.filename) else { continue }
            if byVersion[version] == nil {
                order.append(version)
                byVersion[version] = (true, [])
            }
            if case .no = file.yanked { byVersion[version]!.withdrawn = false }
            byVersion[version]!.artifacts.append(CatalogArtifact(filename: file.filename, size: file.size, route: try fileRoute(project: project, filename: file.filename, engine: engine)))
            if file.coreMetadata != nil {
                let name = file.filename + ".metadata"
                byVersion[version]!.artifacts.append(CatalogArtifact(filename: name, size: nil, route: try fileRoute(project: project, filename: name, engine: engine)))
            }
        }
        return order.map { CatalogRelease(version: $0, withdrawn: byVersion[$0]!.withdrawn, artifacts: byVersion[$0]!.artifacts) }
    }

    /// The version in a distribution file name: wheels are `name-version-tags.whl`, sdists
    /// `name-version.tar.gz` (or `.zip`, `.tar.bz2`); eggs and others are skipped.
    static func version(of filename: String) -> String? {
        if filename.hasSuffix(".whl") {
            let parts = filename.dropLast(4).split(separator: "-")
            return parts.count >= 5 ? String(parts[1]) : nil
        }
        for suffix in [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz"] where filename.hasSuffix(suffix) {
            let stem = filename.dropLast(suffix.count)
            guard let dash = stem.lastIndex(of: "-") else { return nil }
            return String(stem[stem.index(after: dash)...])
        }
        return nil
    }
}

extension PyPIAdapter {
    public func versionRange(_ text: String) throws -> VersionRange { try PEP440.specifiers(text) }
}
