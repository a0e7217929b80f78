import Foundation
public import LarderCore
public import NIOCore
import NIOFoundationCompat

/// Composer 2 repository documents: `packages.json` (where the per-package metadata is) and
/// `p2/<vendor>/<name>.json` (every version of a package, possibly minified).
public enum ComposerMetadata {
    /// Keys of `packages.json` that send clients elsewhere (Composer 1's providers, search,
    /// statistics): dropped, so a client pointed at Larder asks nobody else.
    static let droppedKeys = ["providers-url", "provider-includes", "providers-lazy-url", "providers-api", "notify-batch", "notify", "notify-on-install",
                              "metadata-changes-url", "search", "list", "security-advisories", "includes", "warning-versions", "info-versions"]

    /// The `metadata-url` template of a `packages.json`, resolved against the document's URL
    /// (`/p2/%package%.json` is relative to the host).
    public static func metadataTemplate(_ body: ByteBuffer, documentURL: String) throws(LarderError) -> String {
        guard let object = jsonObject(body), let template = object["metadata-url"] as? String, template.contains("%package%") else {
            throw LarderError(.upstreamFailed, "the repository's packages.json is not a Composer 2 repository (a JSON object with a metadata-url containing %package%)")
        }
        guard let base = URL(string: documentURL), let resolved = URL(string: template.replacingOccurrences(of: "%package%", with: "PACKAGE"), relativeTo: base)?.absoluteString else {
            throw LarderError(.upstreamFailed, "the repository's metadata-url '\(template.prefix(200))' is not a URL")
        }
        return resolved.replacingOccurrences(of: "PACKAGE", with: "%package%")
    }

    /// Larder's `packages.json`: `metadata-url` pointing at `mountURL/p2/`, inline packages
    /// none, and the keys that point elsewhere dropped.
    public static func renderedRoot(_ body: ByteBuffer, mountURL: String) throws -> ByteBuffer {
        guard var object = jsonObject(body) else { throw LarderError(.upstreamFailed, "the repository's packages.json is not a JSON object") }
        for key in droppedKeys { object[key] = nil }
        object["packages"] = [String: Any]()
        object["metadata-url"] = "\(mountURL)/p2/%package%.json"
        return ByteBuffer(data: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// A package's versions, expanded from Composer's minified form (each entry inherits the
    /// keys of the one before; `"__unset"` removes one).
    public static func versions(_ body: ByteBuffer, package: String) throws(LarderError) -> [[String: Any]] {
        guard let object = jsonObject(body), let packages = object["packages"] as? [String: Any] else {
            throw LarderError(.upstreamFailed, "the metadata of \(package.prefix(200)) is not a Composer 2 document (a JSON object with packages)")
        }
        guard let entries = packages[package] as? [[String: Any]] else {
            if packages.isEmpty || packages[package] == nil { return [] }
            throw LarderError(.upstreamFailed, "the metadata of \(package.prefix(200)) does not list its versions as an array")
        }
        let minified = object["minified"] as? String == "composer/2.0"
        var previous: [String: Any] = [:]
        var out: [[String: Any]] = []
        for entry in entries {
            var current = minified ? previous : [:]
            for (key, value) in entry {
                if value as? String == "__unset" { current[key] = nil } else { current[key] = value }
            }
            guard current["version"] is String else {
                throw LarderError(.upstreamFailed, "the metadata of \(package.prefix(200)) holds a version entry without a version")
            }
            out.append(current)
            previous = current
        }
        return out
    }

    /// The dist file name Larder serves a version's archive under: `<reference>.<type>`, or
    /// `dist.<type>` without a reference.
    public static func distFile(_ version: [String: Any]) -> String? {
        guard let dist = version["dist"] as? [String: Any], dist["url"] is String else { return nil }
        let type = (dist["type"] as? String).flatMap { ["zip", "tar", "gzip", "xz", "bzip2", "rar", "7z"].contains($0) ? $0 : nil } ?? "zip"
        let reference = (dist["reference"] as? String).flatMap { isSafeSegment($0) ? $0 : nil } ?? "dist"
        return "\(reference).\(type)"
    }

    /// The document with every version's `dist.url` pointing at Larder
    /// (`distBase/<version>/<file>`), written unminified, listing only the versions `allowed`
    /// lets through.
    public static func rendered(_ body: ByteBuffer, package: String, distBase: String, allowed: VersionFilter = .everything) throws -> ByteBuffer {
        let listed = try versions(body, package: package).filter { ($0["version"] as? String).map(allowed.allows) ?? false }
        let versions = listed.map { version -> [String: Any] in
            var copy = version
            if var dist = version["dist"] as? [String: Any], let name = version["version"] as? String, let file = distFile(version) {
                dist["url"] = "\(distBase)/\(encode(name))/\(file)"
                copy["dist"] = dist
            }
            return copy
        }
        let object: [String: Any] = ["packages": [package: versions]]
        return ByteBuffer(data: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Whether `text` can be one path segment Larder names a file by.
    static func isSafeSegment(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 200 && text != "." && text != ".." && text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && !"/\\?#%\"<>".unicodeScalars.contains($0) }
    }

    /// A version percent-encoded for a path segment.
    static func encode(_ version: String) -> String {
        version.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~+"))) ?? version
    }

    static func jsonObject(_ body: ByteBuffer) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
    }
}
