import Foundation
public import LarderCore

/// Terraform providers for the mirror: `pkg:terraform/<host>/<namespace>/<type>@<version>`
/// (`pkg:terraform/<namespace>/<type>` means `registry.terraform.io`), with archives for the
/// configured mirror platforms (`mirror_platforms`) the registry lists for each version.
extension TerraformAdapter: PackageCatalog {
    /// The host a package's namespace names, and its namespace on that host.
    func provider(_ package: CatalogPackage) throws -> (TerraformProvider, Upstream) {
        let parts = (package.namespace ?? "").split(separator: "/").map(String.init)
        let (host, namespace): (String, String)
        switch parts.count {
        case 1: (host, namespace) = ("registry.terraform.io", parts[0])
        case 2: (host, namespace) = (parts[0].lowercased(), parts[1])
        default:
            throw LarderError.badRequest("a Terraform provider's package URL is pkg:terraform/<host>/<namespace>/<type>@<version>, got namespace '\(package.namespace ?? "")'")
        }
        let provider = TerraformProvider(host: host, namespace: namespace.lowercased(), type: package.name.lowercased())
        try TerraformNames.require(TerraformNames.isLabel, [provider.namespace, provider.type], what: "provider namespace or type")
        return (provider, try upstream(for: host))
    }

    /// Routes name providers `<host>/<namespace>/<type>` in lower case and modules
    /// `<host>/<namespace>/<name>/<system>`; a package URL without a host means
    /// `registry.terraform.io`.
    public func routeName(of package: CatalogPackage) -> String {
        var parts = (package.namespace ?? "").split(separator: "/").map(String.init)
        if parts.count == 1 { parts.insert("registry.terraform.io", at: 0) }
        guard let host = parts.first else { return package.name }
        let rest = parts.dropFirst() + [package.name]
        return ([host.lowercased()] + (parts.count == 2 ? rest.map { $0.lowercased() } : Array(rest))).joined(separator: "/")
    }

    /// None besides what `releases` reads: the registry's version list (which `index.json` is
    /// made from, fetched with its service discovery document) is read to plan, and each
    /// archive's download document, `SHA256SUMS` and signature (which `<version>.json` is made
    /// from) are fetched with the archive.
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        _ = try provider(package)
        return []
    }

    /// Every version the registry lists, each with the archives of the mirror platforms it has.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let (provider, upstream) = try provider(package)
        let versions = try await engine.withMetadata(versionsRoute(provider, upstream: upstream, engine: engine)) {
            try TerraformDocuments.decode(TerraformDocuments.ProviderVersions.self, $0.body, what: "a provider's version list")
        }
        return versions.versions.filter { TerraformNames.isVersion($0.version) }.map { version in
            let platforms = (version.platforms ?? []).filter { mirrorPlatforms.contains($0.key) }
            return CatalogRelease(version: version.version, artifacts: platforms.map { platform in
                let filename = TerraformNames.providerArchive(type: provider.type, version: version.version, os: platform.os, arch: platform.arch)
                return CatalogArtifact(filename: filename, size: nil, route: archiveRoute(provider, version: version.version, platform: platform, filename: filename, upstream: upstream, engine: engine))
            })
        }
    }

    /// Terraform's version constraints: `1.2.0`, `= 1.2.0`, `!= 1.3.0`, `>= 1.0, < 2.0`,
    /// `~> 1.2` (any 1.x from 1.2), `~> 1.2.0` (any 1.2.x from 1.2.0). Pre-releases match
    /// only an exact version.
    public func versionRange(_ text: String) throws -> VersionRange {
        try TerraformConstraints.range(text)
    }
}

/// Terraform's version constraint syntax.
enum TerraformConstraints {
    static func range(_ text: String) throws -> VersionRange {
        var tests: [@Sendable (NpmSemver.Version, Bool) -> Bool] = []
        for raw in text.split(separator: ",") {
            let constraint = raw.trimmingCharacters(in: .whitespaces)
            let op = ["~>", ">=", "<=", "!=", ">", "<", "="].first { constraint.hasPrefix($0) } ?? "="
            let operand = constraint.dropFirst(constraint.hasPrefix(op) ? op.count : 0).trimmingCharacters(in: .whitespaces)
            let release = operand.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let parts = release[0].split(separator: ".", omittingEmptySubsequences: false)
            let prerelease = release.count == 2 ? "-" + release[1] : ""
            let padded = (parts.map(String.init) + Array(repeating: "0", count: max(0, 3 - parts.count))).joined(separator: ".") + prerelease
            guard (1...3).contains(parts.count), parts.allSatisfy({ $0.count <= 9 && Int($0) != nil }), let bound = NpmSemver.Version(padded) else {
                throw LarderError.badRequest("'\(constraint.prefix(100))' is not a Terraform version constraint (such as '>= 1.2, < 2.0' or '~> 1.2')")
            }
            switch op {
            case "=": tests.append { version, _ in version == bound }
            case "!=": tests.append { version, pre in !pre && version != bound }
            case ">": tests.append { version, pre in !pre && version > bound }
            case ">=": tests.append { version, pre in !pre && version >= bound }
            case "<": tests.append { version, pre in !pre && version < bound }
            case "<=": tests.append { version, pre in !pre && version <= bound }
            default:
                // ~>: the last given part may grow; the one before it is fixed.
                let numbers = parts.compactMap { Int($0) }
                let upper = numbers.count <= 2 ? NpmSemver.Version("\(numbers[0] + 1).0.0")! : NpmSemver.Version("\(numbers[0]).\(numbers[1] + 1).0")!
                tests.append { version, pre in !pre && version >= bound && version < upper }
            }
        }
        guard !tests.isEmpty else { throw LarderError.badRequest("an empty Terraform version constraint") }
        let all = tests
        return VersionRange { text in
            guard let version = NpmSemver.Version(text) else { return false }
            let pre = text.contains("-")
            return all.allSatisfy { $0(version, pre) }
        }
    }
}
