public import Foundation
import NIOCore

extension FixtureRegistry {
    /// Publishes npm package versions: the package document at `/<name>` (`/@scope%2fname` for
    /// scoped packages) listing every version published so far, and tarballs at
    /// `/<name>/-/<file>`. `dependencies` are per version; `published` gives versions' publish
    /// times (the document's `time`), which may lie (a back-dated release).
    public func publishNpm(name: String, versions: [(version: String, file: PackageFile, dependencies: [String: String])], integrity: NpmIntegrity = .sha512, published: [String: Date] = [:]) {
        let documentPath = "/" + (name.hasPrefix("@") ? name.replacingOccurrences(of: "/", with: "%2f") : name)
        var versionDocs = state.npmVersions.withLock { $0[name] ?? [:] }
        for entry in versions {
            let tarballPath = "/\(name)/-/\(entry.file.filename)"
            set(tarballPath, body: ByteBuffer(bytes: entry.file.data))
            var dist: [String: Any] = ["tarball": url + tarballPath]
            switch integrity {
            case .sha512: dist["integrity"] = entry.file.sri512; dist["shasum"] = entry.file.sha1
            case .shasumOnly: dist["shasum"] = entry.file.sha1
            }
            // What a registry's full document carries besides what installing needs.
            let doc: [String: Any] = [
                "name": name, "version": entry.version, "dependencies": entry.dependencies, "dist": dist,
                "description": "the fixture package \(name)", "scripts": ["test": "node test.js"], "_npmUser": ["name": "fixture"],
            ]
            versionDocs[entry.version] = try! JSONSerialization.data(withJSONObject: doc)
        }
        let documents = versionDocs
        state.npmVersions.withLock { $0[name] = documents }
        let latest = versionDocs.keys.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last ?? ""
        let versionObjects = versionDocs.mapValues { try! JSONSerialization.jsonObject(with: $0) }
        let times = state.npmTimes.withLock { table in
            table[name, default: [:]].merge(published) { _, new in new }
            return table[name]!
        }
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var time: [String: String] = ["modified": "2026-11-01T00:00:00.000Z"]
        for (version, date) in times { time[version] = format.string(from: date) }
        let document: [String: Any] = [
            "name": name, "dist-tags": ["latest": latest], "versions": versionObjects,
            "description": "the fixture package \(name)", "readme": "# \(name)\n\nA package a test published.\n",
            "time": time, "maintainers": [["name": "fixture"]],
        ]
        let body = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        set(documentPath, body: ByteBuffer(bytes: body), contentType: "application/json", etag: "\"\(PackageFile(filename: "", data: body).sha256.prefix(16))\"")
    }
}

/// Which digests a fixture npm package document lists.
public enum NpmIntegrity: Sendable {
    /// `dist.integrity` (SHA-512) and `dist.shasum`.
    case sha512
    /// Only the legacy `dist.shasum` (SHA-1).
    case shasumOnly
}

extension FixtureRegistry {
    /// Publishes a package whose document is large, as those of packages with thousands of
    /// releases are: `version` (with `file`) is the latest, and `fillerVersions` older versions
    /// (`0.0.N`, pointing at the same tarball) each carry a readme of `fillerBytes`, which the
    /// abbreviated form drops. Returns the document's size.
    @discardableResult
    public func publishLargeNpm(name: String, version: String, file: PackageFile, fillerVersions: Int, fillerBytes: Int) -> Int {
        let tarballPath = "/\(name)/-/\(file.filename)"
        set(tarballPath, body: ByteBuffer(bytes: file.data))
        let readme = String(repeating: "Release notes that nobody installing needs. ", count: fillerBytes / 44 + 1).prefix(fillerBytes)
        let dist = #"{"tarball": "\#(url + tarballPath)", "integrity": "\#(file.sri512)", "shasum": "\#(file.sha1)"}"#
        var body = ByteBuffer()
        body.writeString(#"{"name": "\#(name)", "dist-tags": {"latest": "\#(version)"}, "time": {"modified": "2026-11-01T00:00:00.000Z"}, "versions": {"#)
        for n in 0..<fillerVersions {
            body.writeString(#""0.0.\#(n)": {"name": "\#(name)", "version": "0.0.\#(n)", "readme": "\#(readme)", "scripts": {"test": "node test.js"}, "dist": \#(dist)}, "#)
        }
        body.writeString(#""\#(version)": {"name": "\#(name)", "version": "\#(version)", "description": "the latest", "dist": \#(dist)}}}"#)
        let size = body.readableBytes
        set("/\(name)", body: body, contentType: "application/json", etag: "\"large-\(fillerVersions)-\(fillerBytes)\"")
        return size
    }
}
