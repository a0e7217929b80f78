import LarderCore

/// `poetry.lock`: `[[package]]` entries with their files' hashes; packages from a git, path or
/// URL `[package.source]` are reported (a legacy or explicit index is still a registry).
enum PoetryLockfile {
    static func packages(_ text: String) throws(LockfileError) -> [LockedPackage] {
        try LockfileTOML.packages(text).map { entry in
            let name = entry["name"]?.string ?? ""
            let version = entry["version"]?.string
            if let source = entry["source"]?.table, let type = source["type"]?.string, type != "legacy" && type != "explicit" {
                return .unsupported(name, version, "a \(type) source, not a registry")
            }
            let digests = (entry["files"]?.array ?? []).compactMap { LockedPackage.digest($0.table?["hash"]?.string) }
            return .registry(type: "pypi", name: name, version: version, digests: digests)
        }
    }
}
