public import Foundation
import NIOCore

/// One version of a package a fixture Composer repository serves.
public struct FixtureComposerVersion: Sendable {
    /// The version (`1.2.0`).
    public var version: String
    /// Requirements: package to constraint.
    public var require: [String: String]
    /// The dist archive.
    public var archive: PackageFile
    /// Its release time (`time`), if the metadata gives one.
    public var time: Date?

    /// Describes a version.
    public init(version: String, require: [String: String] = [:], archive: PackageFile, time: Date? = nil) {
        self.version = version
        self.require = require
        self.archive = archive
        self.time = time
    }
}

extension FixtureRegistry {
    /// Publishes `packages.json` with `metadata-url` (host-relative, as Packagist writes it) and
    /// the keys Packagist adds that point elsewhere.
    public func publishComposerRoot(metadataURL: String = "/p2/%package%.json") {
        let root: [String: Any] = [
            "packages": [String: Any](), "metadata-url": metadataURL, "notify-batch": url + "/downloads/",
            "search": url + "/search.json?q=%query%", "providers-url": "/p/%package%$%hash%.json",
        ]
        set("/packages.json", body: ByteBuffer(data: try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])), contentType: "application/json")
    }

    /// Publishes a package's versions at `/p2/<name>.json` in Composer 2's minified form, with
    /// archives at `/dist/<name>/<version>.zip` (their SHA-1 as `shasum`).
    public func publishComposerPackage(_ name: String, versions: [FixtureComposerVersion], prefix: String = "") {
        var entries: [[String: Any]] = []
        var previous: [String: Any] = [:]
        let namespace = name.split(separator: "/").map { $0.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() }.joined(separator: "\\")
        for version in versions {
            let path = "\(prefix)/dist/\(name)/\(version.version).zip"
            set(path, body: ByteBuffer(bytes: version.archive.data), contentType: "application/zip")
            var full: [String: Any] = [
                "name": name, "version": version.version, "version_normalized": version.version + ".0", "type": "library",
                "description": "Larder test fixture", "license": ["MIT"], "autoload": ["psr-4": ["\(namespace)\\": "src/"]],
                "require": version.require.isEmpty ? "__unset" : version.require,
                "dist": ["type": "zip", "url": url + path, "reference": version.archive.sha1, "shasum": version.archive.sha1],
            ]
            if let time = version.time { full["time"] = ISO8601DateFormatter().string(from: time) }
            // Minified: each entry only says what changed since the one before.
            var entry: [String: Any] = [:]
            for (key, value) in full where !NSDictionary(dictionary: [key: value]).isEqual(to: [key: previous[key] ?? NSNull()]) {
                entry[key] = value
            }
            if previous.isEmpty, entry["require"] as? String == "__unset" { entry["require"] = nil }
            entries.append(entry)
            previous = full
        }
        let document: [String: Any] = ["packages": [name: entries], "minified": "composer/2.0"]
        set("\(prefix)/p2/\(name).json", body: ByteBuffer(data: try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])), contentType: "application/json")
    }
}

extension PackageBuilder {
    /// A package archive as code hosts serve them (a zip with one top directory holding
    /// `composer.json` and `src/`), written by Python's `zipfile`. The package's class is
    /// `<Vendor>\<Name>\Package` with a `NAME` constant of name and version.
    public static func composerArchive(name: String, version: String, require: [String: String] = [:]) async throws -> PackageFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("larder-composer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let namespace = name.split(separator: "/").map { $0.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() }.joined(separator: "\\")
        let manifest: [String: Any] = ["name": name, "type": "library", "license": "MIT", "require": require.isEmpty ? [String: String]() : require, "autoload": ["psr-4": ["\(namespace)\\": "src/"]]]
        let top = name.replacingOccurrences(of: "/", with: "-") + "-" + version
        let files: [String: String] = [
            "\(top)/composer.json": String(decoding: try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self),
            "\(top)/src/Package.php": "<?php\nnamespace \(namespace);\n\nclass Package { const NAME = '\(name) \(version)'; }\n",
        ]
        try JSONSerialization.data(withJSONObject: files).write(to: URL(fileURLWithPath: dir + "/files.json"))
        let script = "import json, sys, zipfile\nfiles = json.load(open(sys.argv[1]))\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n    for name in sorted(files): z.writestr(name, files[name])\n"
        try await Shell.run(["python3", "-c", script, dir + "/files.json", dir + "/package.zip"])
        return PackageFile(filename: "\(top).zip", data: try Data(contentsOf: URL(fileURLWithPath: dir + "/package.zip")))
    }
}
