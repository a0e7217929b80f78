import Foundation
import LarderCore

/// `package-lock.json` and `npm-shrinkwrap.json`: lockfile versions 2 and 3 (`packages`), and
/// version 1 (`dependencies`).
enum NpmLockfile {
    static func packages(_ data: Data) throws(LockfileError) -> [LockedPackage] {
        guard !NestingLimit.exceeded(inJSON: data) else { throw LockfileError(NestingLimit.message("package-lock.json")) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LockfileError("package-lock.json is not a JSON object")
        }
        if let packages = root["packages"] as? [String: Any] {
            return packages.keys.sorted().compactMap { path -> LockedPackage? in
                guard let range = path.range(of: "node_modules/", options: .backwards), let entry = packages[path] as? [String: Any] else { return nil }
                let name = (entry["name"] as? String) ?? String(path[range.upperBound...])
                return package(name: name, entry: entry)
            }
        }
        if let dependencies = root["dependencies"] as? [String: Any] {
            var out: [LockedPackage] = []
            func walk(_ deps: [String: Any]) {
                for name in deps.keys.sorted() {
                    guard let entry = deps[name] as? [String: Any] else { continue }
                    out.append(package(name: name, entry: entry))
                    if let nested = entry["dependencies"] as? [String: Any] { walk(nested) }
                }
            }
            walk(dependencies)
            return out
        }
        throw LockfileError("package-lock.json has neither \"packages\" nor \"dependencies\"")
    }

    static func package(name: String, entry: [String: Any]) -> LockedPackage {
        let version = entry["version"] as? String
        if entry["link"] as? Bool == true { return .unsupported(name, version, "a link to a local folder, not fetched") }
        if let resolved = entry["resolved"] as? String, !resolved.hasPrefix("http") {
            return .unsupported(name, version, "resolved from \(resolved.prefix(60)), not a registry")
        }
        if let version, version.contains(":") { return .unsupported(name, version, "not a registry version") }
        let digests = (entry["integrity"] as? String).flatMap(Integrity.init(sri:)).map { [$0] } ?? []
        return .registry(type: "npm", name: name, version: version, splitName: name.hasPrefix("@"), digests: digests)
    }
}
