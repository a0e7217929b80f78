import Foundation
public import LarderCore

extension GoAdapter: PackageCatalog {
    /// The module's version list (what `go get` without a version reads).
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        [try moduleRoute(try segments(of: package), file: "@v/list")]
    }

    /// Releases from the version list; each is its `.info`, `.mod` and `.zip`.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let segments = try segments(of: package)
        let versions = try await engine.withMetadata(try moduleRoute(segments, file: "@v/list")) { try GoDocuments.versions($0.body) }
        return try versions.map { try release(segments, version: $0, engine: engine) }
    }

    /// Any version, listed or not (pseudo-versions, which `go.sum` pins, are never listed).
    public func release(of package: CatalogPackage, version: String, engine: Engine) async throws -> CatalogRelease? {
        guard version.hasPrefix("v"), GoModulePath.isEscapedVersion(GoModulePath.escape(version)) else { return nil }
        return try release(try segments(of: package), version: version, engine: engine)
    }

    /// Each version's `.info` dates it: cooldowns apply.
    public var versionsCarryDates: Bool { true }

    /// npm-style ranges over Go's semantic versions (`>=v1.2.0 <v2`, `^1.4`, `1.x`); the `v` is
    /// optional.
    public func versionRange(_ text: String) throws -> VersionRange {
        let range = try NpmSemver.range(text.replacingOccurrences(of: #"(^|[\s<>=~^|])v(?=\d)"#, with: "$1", options: .regularExpression))
        return VersionRange { version in version.hasPrefix("v") && range.contains(String(version.dropFirst())) }
    }

    private func release(_ segments: [String], version: String, engine: Engine) throws -> CatalogRelease {
        let escaped = GoModulePath.escape(version)
        return CatalogRelease(version: version, artifacts: [
            CatalogArtifact(filename: "\(version).info", size: nil, route: try moduleRoute(segments, file: "@v/\(escaped).info")),
            CatalogArtifact(filename: "\(version).mod", size: nil, route: try fileRoute(segments, version: escaped, file: .mod, engine: engine)),
            CatalogArtifact(filename: "\(version).zip", size: nil, route: try fileRoute(segments, version: escaped, file: .zip, engine: engine)),
        ])
    }

    /// The module path of `pkg:golang/<namespace>/<name>`, case-encoded, as path elements.
    private func segments(of package: CatalogPackage) throws -> [String] {
        let path = GoModulePath.escape(package.namespace.map { "\($0)/\(package.name)" } ?? package.name)
        guard GoModulePath.isEscapedPath(path) else {
            throw LarderError.badRequest("'\(package.description.prefix(200))' is not a Go module path (pkg:golang/<host>/<path>/<name>@<version>)")
        }
        return path.split(separator: "/").map(String.init)
    }
}
