import Foundation

/// The rules a registered package type places on package URL components, from the Package URL
/// specification's type definitions. Unregistered types get the generic rules.
struct PackageURLType: Sendable {
    enum Requirement: Sendable { case required, optional, prohibited }

    var namespace: Requirement = .optional
    var namespaceLowercased = false
    var nameLowercased = false
    var versionLowercased = false
    /// Extra normalisation of the name (after lower-casing).
    var normalizeName: (@Sendable (String) -> String)?
    /// Checks on the final components; a message when broken.
    var check: (@Sendable (PackageURL) -> String?)?
    var requiredQualifiers: [String] = []
    /// The namespace is one segment and the name holds the rest of the path, slashes and all
    /// (git: `pkg:git/codeberg.org/forgejo/forgejo`).
    var nameSpansPath = false
    /// Normalisation the specification recommends but does not require, applied when parsing
    /// leniently.
    var lenientLowercase = false
    /// Normalisation of the name that depends on qualifiers.
    var normalizeNameWithQualifiers: (@Sendable (String, [String: String]) -> String)?

    static func rules(for type: String) -> PackageURLType {
        registered[type] ?? PackageURLType()
    }

    private static let registered: [String: PackageURLType] = [
        "alpm": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true),
        "apk": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true),
        "bazel": .init(namespace: .prohibited),
        "bitbucket": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true),
        "bitnami": .init(namespace: .prohibited, nameLowercased: true),
        "brew": .init(namespace: .optional, namespaceLowercased: true, nameLowercased: true),
        "cargo": .init(namespace: .prohibited),
        "chrome-extension": .init(namespace: .prohibited, nameLowercased: true, check: { purl in
            if !matches(purl.name, count: 32, allowed: { ("a"..."p").contains($0) }) {
                return "a chrome-extension name is an extension id of 32 letters a to p, got '\(purl.name)'"
            }
            if let version = purl.version, !isDottedNumber(version, maxParts: 4) {
                return "a chrome-extension version has one to four dot-separated numbers, got '\(version)'"
            }
            return nil
        }),
        "cocoapods": .init(namespace: .prohibited),
        "composer": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true),
        "conda": .init(namespace: .prohibited),
        "cpan": .init(namespace: .optional, check: { purl in
            if purl.name.contains("::") { return "a cpan name is a distribution name (with '-'), not a module name with '::': '\(purl.name)'" }
            if let namespace = purl.namespace, namespace != namespace.uppercased() { return "a cpan namespace is an upper-case author id, got '\(namespace)'" }
            return nil
        }),
        "cran": .init(namespace: .prohibited),
        "deb": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true),
        "gem": .init(namespace: .prohibited),
        "git": .init(namespace: .required, nameSpansPath: true, lenientLowercase: true),
        "github": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true),
        "golang": .init(namespace: .required),
        "hackage": .init(namespace: .prohibited),
        "hex": .init(namespace: .optional, namespaceLowercased: true, nameLowercased: true),
        "huggingface": .init(namespace: .required, versionLowercased: true),
        "julia": .init(namespace: .prohibited, requiredQualifiers: ["uuid"]),
        "luarocks": .init(namespace: .optional, namespaceLowercased: true, nameLowercased: true),
        "maven": .init(namespace: .required),
        // Azure Databricks model names are case-insensitive; Azure ML ones are not.
        "mlflow": .init(namespace: .prohibited, normalizeNameWithQualifiers: { name, qualifiers in
            (qualifiers["repository_url"] ?? "").lowercased().contains("azuredatabricks.net") ? name.lowercased() : name
        }),
        "npm": .init(namespace: .optional),
        "nuget": .init(namespace: .prohibited),
        "oci": .init(namespace: .prohibited, nameLowercased: true, versionLowercased: true),
        "opam": .init(namespace: .prohibited),
        "otp": .init(namespace: .prohibited, nameLowercased: true),
        "pub": .init(namespace: .prohibited, nameLowercased: true, check: { purl in
            purl.name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) ? nil
                : "a pub name has only lower-case letters, digits and '_', got '\(purl.name)'"
        }),
        "pypi": .init(namespace: .prohibited, nameLowercased: true, versionLowercased: true, normalizeName: { $0.replacingOccurrences(of: "_", with: "-") }),
        "qpkg": .init(namespace: .required, namespaceLowercased: true),
        "rpm": .init(namespace: .required, namespaceLowercased: true),
        "swid": .init(namespace: .optional, requiredQualifiers: ["tag_id"]),
        "swift": .init(namespace: .required),
        "vcpkg": .init(namespace: .prohibited),
        "vscode-extension": .init(namespace: .required, namespaceLowercased: true, nameLowercased: true, versionLowercased: true),
        "yocto": .init(namespace: .optional, namespaceLowercased: true),
    ]

    private static func matches(_ s: String, count: Int, allowed: (Character) -> Bool) -> Bool {
        s.count == count && s.allSatisfy(allowed)
    }

    private static func isDottedNumber(_ s: String, maxParts: Int) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return (1...maxParts).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
