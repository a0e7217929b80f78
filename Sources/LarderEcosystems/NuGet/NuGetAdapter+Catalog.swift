import Foundation
public import LarderCore

extension NuGetAdapter: PackageCatalog {
    /// The flat container names packages by their lower-cased id.
    public func routeName(of package: CatalogPackage) -> String { package.name.lowercased() }

    /// Each version's registration leaf says when it was published: cooldowns apply.
    public var versionsCarryDates: Bool { true }

    /// What a restore reads: the service index and the package's version list.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        [try serviceIndexRoute(mountURL: ""), try versionsRoute(try Self.id(package.name.lowercased()), engine: engine)]
    }

    /// Releases from the flat container's version list: the `.nupkg` and `.nuspec` of each.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        guard package.namespace == nil else { throw LarderError.badRequest("NuGet package URLs have no namespace (pkg:nuget/<id>@<version>)") }
        let id = try Self.id(package.name.lowercased())
        let versions = try await engine.withMetadata(try versionsRoute(id, engine: engine)) { try NuGetDocuments.versions($0.body) }
        return try versions.map { version in
            let lower = try Self.version(version.lowercased())
            return CatalogRelease(version: version, artifacts: [
                CatalogArtifact(filename: "\(id).\(lower).nupkg", size: nil, route: try packageRoute(id, version: lower, engine: engine)),
                CatalogArtifact(filename: "\(id).nuspec", size: nil, route: try nuspecRoute(id, version: lower, engine: engine), optional: true),
            ])
        }
    }

    /// NuGet's version ranges: `1.0` (at least 1.0), `[1.0]` (exactly), and intervals
    /// `[1.0,2.0)`, `(,2.0]`, read as npm comparators over the versions.
    public func versionRange(_ text: String) throws -> VersionRange {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let npmForm: String
        if let open = trimmed.first, "[(".contains(open), let close = trimmed.last, ")]".contains(close), trimmed.count >= 3 {
            let bounds = trimmed.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            switch bounds.count {
            case 1 where open == "[" && close == "]" && !bounds[0].isEmpty: npmForm = "=\(bounds[0])"
            case 2 where !(bounds[0].isEmpty && bounds[1].isEmpty):
                npmForm = [bounds[0].isEmpty ? nil : (open == "[" ? ">=" : ">") + bounds[0], bounds[1].isEmpty ? nil : (close == "]" ? "<=" : "<") + bounds[1]].compactMap { $0 }.joined(separator: " ")
            default: throw LarderError.badRequest("'\(text.prefix(100))' is not a NuGet version range (such as '1.0', '[1.0,2.0)' or '[1.2.3]')")
            }
        } else {
            npmForm = ">=" + trimmed
        }
        return try NpmSemver.range(npmForm)
    }
}
