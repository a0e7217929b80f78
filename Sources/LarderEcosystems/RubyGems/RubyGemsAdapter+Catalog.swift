import Foundation
public import LarderCore

extension RubyGemsAdapter: PackageCatalog {
    /// What `gem install` and Bundler read: the compact index's `versions` (which also answers
    /// the source root) and the gem's `info`.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        [try versionsRoute(), try infoRoute(try gemName(package))]
    }

    /// Releases from the gem's `info`, one per version, with the `.gem` and gemspec of each
    /// platform (only the `platform` qualifier's, when one is given).
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let name = try gemName(package)
        let lines = try await engine.withMetadata(try infoRoute(name)) { try CompactIndex.releases($0.body, gem: name) }
        let platform = package.qualifiers["platform"]
        var order: [String] = []
        var byVersion: [String: [CatalogArtifact]] = [:]
        for line in lines where platform == nil || line.platform == platform {
            if byVersion[line.version] == nil { order.append(line.version) }
            let file = "\(name)-\(line.field)"
            byVersion[line.version, default: []] += [
                CatalogArtifact(filename: file + ".gem", size: nil, route: try gemRoute(file + ".gem", engine: engine)),
                CatalogArtifact(filename: file + ".gemspec.rz", size: nil, route: try gemspecRoute(file + ".gemspec.rz"), optional: true),
            ]
        }
        return order.map { CatalogRelease(version: $0, artifacts: byVersion[$0]!) }
    }

    public func versionRange(_ text: String) throws -> VersionRange { try GemRequirement.range(text) }

    private func gemName(_ package: CatalogPackage) throws -> String {
        guard package.namespace == nil, CompactIndex.isGemName(package.name) else {
            throw LarderError.badRequest("'\(package.description.prefix(80))' is not a gem name (pkg:gem/<name>@<version>)")
        }
        return package.name
    }
}
