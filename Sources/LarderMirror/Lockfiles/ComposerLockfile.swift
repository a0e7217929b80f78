import Foundation
import LarderCore

/// `composer.lock`: `packages` and `packages-dev`, with the dist archive's SHA-1 when recorded.
enum ComposerLockfile {
    static func packages(_ data: Data) throws(LockfileError) -> [LockedPackage] {
        guard !NestingLimit.exceeded(inJSON: data) else { throw LockfileError(NestingLimit.message("composer.lock")) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LockfileError("composer.lock is not a JSON object")
        }
        let entries = (root["packages"] as? [[String: Any]] ?? []) + (root["packages-dev"] as? [[String: Any]] ?? [])
        return entries.map { entry in
            let name = entry["name"] as? String ?? ""
            let version = entry["version"] as? String
            let dist = entry["dist"] as? [String: Any]
            guard dist != nil else { return .unsupported(name, version, "no dist archive (a source-only or path package)") }
            let digests = (dist?["shasum"] as? String).flatMap { $0.isEmpty ? nil : Integrity(algorithm: .sha1, hex: $0) }.map { [$0] } ?? []
            return .registry(type: "composer", name: name, version: version, splitName: true, digests: digests)
        }
    }
}
