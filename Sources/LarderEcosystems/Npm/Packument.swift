public import Foundation
public import NIOCore
public import LarderCore

/// An npm package document ("packument"), full or abbreviated, as parsed JSON.
public struct Packument: @unchecked Sendable {
    /// The abbreviated form's media type.
    public static let abbreviatedType = "application/vnd.npm.install-v1+json"

    /// The document's top-level object.
    public var root: [String: Any]

    /// Parses a packument.
    public init(_ data: Data, source: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LarderError(.upstreamFailed, "upstream package document \(source) is not a JSON object")
        }
        self.root = root
    }

    /// Checks that an upstream answer is the package document of `name`: a JSON object naming
    /// that package (not another one a redirect led to, not an error page) with its versions.
    public static func validate(_ body: ByteBuffer, name: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw LarderError(.upstreamFailed, "a package document is a JSON object")
        }
        guard let named = root["name"] as? String, named == name else {
            throw LarderError(.upstreamFailed, "it describes package '\((root["name"] as? String)?.prefix(200) ?? "none")', not '\(name)'")
        }
        guard root["versions"] is [String: Any] else {
            throw LarderError(.upstreamFailed, "it lists no versions")
        }
    }

    /// The `dist` object of each version.
    public var distributions: [(version: String, dist: [String: Any])] {
        (root["versions"] as? [String: Any] ?? [:]).compactMap { version, value in
            guard let dist = (value as? [String: Any])?["dist"] as? [String: Any] else { return nil }
            return (version, dist)
        }
    }

    /// The tarball whose file name is `filename`: its upstream URL and promised digest.
    public func tarball(named filename: String) -> (url: String, integrity: Integrity?)? {
        for (_, dist) in distributions {
            guard let url = dist["tarball"] as? String, Self.filename(of: url) == filename else { continue }
            let integrity = (dist["integrity"] as? String).flatMap(Integrity.init(sri:))
                ?? (dist["shasum"] as? String).flatMap { Integrity(algorithm: .sha1, hex: $0) }
            return (url, integrity)
        }
        return nil
    }

    /// A version's document, by version or dist-tag.
    public func version(_ spec: String) -> [String: Any]? {
        let versions = root["versions"] as? [String: Any] ?? [:]
        if let doc = versions[spec] as? [String: Any] { return doc }
        if let tagged = (root["dist-tags"] as? [String: Any])?[spec] as? String { return versions[tagged] as? [String: Any] }
        return nil
    }

    /// Points every version's `dist.tarball` at `tarballBase` + file name.
    public mutating func rewriteTarballs(to tarballBase: String) {
        guard var versions = root["versions"] as? [String: Any] else { return }
        for (version, value) in versions {
            guard var doc = value as? [String: Any] else { continue }
            doc = Self.rewritten(doc, tarballBase: tarballBase)
            versions[version] = doc
        }
        root["versions"] = versions
    }

    /// A version document with its `dist.tarball` pointed at `tarballBase` + file name.
    public static func rewritten(_ versionDoc: [String: Any], tarballBase: String) -> [String: Any] {
        var doc = versionDoc
        guard var dist = doc["dist"] as? [String: Any], let url = dist["tarball"] as? String else { return doc }
        dist["tarball"] = tarballBase + filename(of: url)
        doc["dist"] = dist
        return doc
    }

    /// The document as JSON.
    public func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: root, options: [.withoutEscapingSlashes])
    }

    /// The last path segment of a tarball URL, decoded.
    static func filename(of url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init) ?? url
        let last = path.split(separator: "/").last.map(String.init) ?? path
        return last.removingPercentEncoding ?? last
    }
}
