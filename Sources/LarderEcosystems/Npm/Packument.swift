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

    /// The fields of a version that the abbreviated form keeps: what installing needs
    /// (the npm registry's "abbreviated metadata format", plus `libc` and `funding` that
    /// current npm reads).
    static let abbreviatedVersionFields: Set<String> = [
        "name", "version", "dist", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
        "bundleDependencies", "bundledDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies",
        "bin", "directories", "engines", "cpu", "os", "libc", "funding", "_hasShrinkwrap", "hasInstallScript",
    ]

    /// The abbreviated form (`application/vnd.npm.install-v1+json`) of this document: `name`,
    /// `modified`, `dist-tags` and, for each version, the fields installing needs, with
    /// `hasInstallScript` set when the version has an install, preinstall or postinstall script.
    /// An abbreviated document stays as it is.
    public func abbreviated() -> Packument {
        var short: [String: Any] = [:]
        for key in ["name", "dist-tags", "modified"] { if let value = root[key] { short[key] = value } }
        if short["modified"] == nil, let modified = (root["time"] as? [String: Any])?["modified"] { short["modified"] = modified }
        var versions: [String: Any] = [:]
        for (version, value) in root["versions"] as? [String: Any] ?? [:] {
            guard let doc = value as? [String: Any] else { continue }
            var kept = doc.filter { Self.abbreviatedVersionFields.contains($0.key) }
            if kept["hasInstallScript"] == nil, let scripts = doc["scripts"] as? [String: Any],
                ["preinstall", "install", "postinstall"].contains(where: { scripts[$0] != nil })
            {
                kept["hasInstallScript"] = true
            }
            versions[version] = kept
        }
        short["versions"] = versions
        return Packument(root: short)
    }

    /// A packument over an already parsed top-level object.
    init(root: [String: Any]) { self.root = root }

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
