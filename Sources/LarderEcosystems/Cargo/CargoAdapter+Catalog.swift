import Foundation
public import LarderCore

extension CargoAdapter: PackageCatalog {
    /// What `cargo fetch` reads: the registry configuration and the crate's index file.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        [try clientConfigRoute(baseURL: ""), try indexRoute(try crateName(package))]
    }

    /// Releases from the index file, one `.crate` each; yanked versions count as withdrawn.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let crate = try crateName(package)
        let entries = try await engine.withMetadata(try indexRoute(crate)) { try CargoIndex.entries($0.body, crate: crate) }
        return try entries.map { entry in
            CatalogRelease(
                version: entry.vers, withdrawn: entry.yanked ?? false,
                artifacts: [CatalogArtifact(filename: "\(entry.name)-\(entry.vers).crate", size: nil, route: try crateRoute(entry.name, version: entry.vers, engine: engine))])
        }
    }

    /// Index lines carry `pubtime` (lines written before registries began to say are dated by
    /// the next line that does): cooldowns apply.
    public var versionsCarryDates: Bool { true }

    /// Cargo's version requirements (`1.2`, `^1.2`, `~1.2.3`, `>=1, <2`, `1.*`): comma-separated
    /// comparators that must all hold, a bare version meaning a caret requirement.
    public func versionRange(_ text: String) throws -> VersionRange {
        // Cargo allows space between an operator and its version (`>= 1.0`).
        let comparators = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.replacingOccurrences(of: " ", with: "") }
        guard comparators.allSatisfy({ !$0.isEmpty && !$0.contains("|") }) else {
            throw LarderError.badRequest("'\(text.prefix(100))' is not a Cargo version requirement (such as '1.2', '>=1.0, <2' or '~1.4.1')")
        }
        let npmForm = comparators.map { $0.first.map { $0.isNumber } == true ? "^" + $0 : $0 }.joined(separator: " ")
        return try NpmSemver.range(npmForm)
    }

    private func crateName(_ package: CatalogPackage) throws -> String {
        guard package.namespace == nil, CargoIndex.isCrateName(package.name) else {
            throw LarderError.badRequest("'\(package.description.prefix(80))' is not a crate name (pkg:cargo/<name>@<version>)")
        }
        return package.name.lowercased()
    }
}
