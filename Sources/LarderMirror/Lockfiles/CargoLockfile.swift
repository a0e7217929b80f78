/// `Cargo.lock`: `[[package]]` entries from a registry (`source = "registry+…"` or
/// `"sparse+…"`) with their SHA-256 checksums; workspace and git packages are reported.
enum CargoLockfile {
    static func packages(_ text: String) throws(LockfileError) -> [LockedPackage] {
        try LockfileTOML.packages(text).map { entry in
            let name = entry["name"]?.string ?? ""
            let version = entry["version"]?.string
            guard let source = entry["source"]?.string else { return .unsupported(name, version, "a workspace or path crate, not fetched") }
            guard source.hasPrefix("registry+") || source.hasPrefix("sparse+") else {
                return .unsupported(name, version, "from \(source.prefix(60)), not a registry")
            }
            let digests = entry["checksum"]?.string.flatMap { LockedPackage.digest("sha256:" + $0) }.map { [$0] } ?? []
            return .registry(type: "cargo", name: name, version: version, digests: digests)
        }
    }
}
