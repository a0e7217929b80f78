public import LarderCore

/// The names in Terraform's registry and mirror protocols, checked before they reach a cache key
/// or an upstream URL.
enum TerraformNames {
    /// A registry host name as Terraform writes it (lower-case, punycode, an optional port).
    static func isHostname(_ text: String) -> Bool {
        guard (1...260).contains(text.utf8.count) else { return false }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty, host.first != ".", host.first != "-", !host.contains("..") else { return false }
        if parts.count == 2 { guard let port = Int(parts[1]), (1...65535).contains(port), parts[1].allSatisfy(\.isASCII) else { return false } }
        return host.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
    }

    /// A namespace, provider type, module name or target system: letters, digits, `-` and `_`.
    static func isLabel(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }

    /// A version: semantic-version characters, starting with a digit.
    static func isVersion(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.first?.isNumber == true
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "+") }
    }

    /// An operating system or architecture name (`linux`, `amd64`).
    static func isPlatformPart(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count) && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Checks `parts` with `check`, or throws a 400 naming what is wrong.
    static func require(_ check: (String) -> Bool, _ parts: [String], what: String) throws(LarderError) {
        for part in parts where !check(part) {
            throw LarderError.badRequest("'\(part.prefix(100))' is not a valid \(what)")
        }
    }

    /// The archive name a provider has in Terraform's packed mirror layout (`terraform providers
    /// mirror` writes the same): `terraform-provider-<type>_<version>_<os>_<arch>.zip`.
    static func providerArchive(type: String, version: String, os: String, arch: String) -> String {
        "terraform-provider-\(type)_\(version)_\(os)_\(arch).zip"
    }

    /// The version and platform in a packed-layout archive name of provider `type`; nil when the
    /// name is not one.
    static func parseProviderArchive(_ filename: String, type: String) -> (version: String, os: String, arch: String)? {
        let prefix = "terraform-provider-\(type)_"
        guard filename.hasPrefix(prefix), filename.hasSuffix(".zip") else { return nil }
        let parts = filename.dropFirst(prefix.count).dropLast(4).split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, isVersion(parts[0]), isPlatformPart(parts[1]), isPlatformPart(parts[2]) else { return nil }
        return (parts[0], parts[1], parts[2])
    }
}
