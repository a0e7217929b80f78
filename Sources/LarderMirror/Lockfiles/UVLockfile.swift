import LarderCore

/// `uv.lock`: `[[package]]` entries from a registry with their sdist and wheel hashes; the
/// project itself (`editable`, `virtual`) and git, path or URL sources are reported.
enum UVLockfile {
    static func packages(_ text: String) throws(LockfileError) -> [LockedPackage] {
        try LockfileTOML.packages(text).map { entry in
            let name = entry["name"]?.string ?? ""
            let version = entry["version"]?.string
            let source = entry["source"]?.table ?? [:]
            guard source["registry"] != nil else {
                let kind = source.keys.sorted().first ?? "unknown"
                return .unsupported(name, version, "a \(kind) source, not a registry")
            }
            let files = [entry["sdist"]].compactMap { $0 } + (entry["wheels"]?.array ?? [])
            let digests = files.compactMap { LockedPackage.digest($0.table?["hash"]?.string) }
            return .registry(type: "pypi", name: name, version: version, digests: digests)
        }
    }
}
