import Crypto
public import Foundation

/// A package file a fixture registry serves.
public struct PackageFile: Sendable {
    /// The file name.
    public var filename: String
    /// Its bytes.
    public var data: Data
    /// For wheels, the core metadata (PEP 658).
    public var coreMetadata: Data?

    /// Creates a package file.
    public init(filename: String, data: Data, coreMetadata: Data? = nil) {
        self.filename = filename
        self.data = data
        self.coreMetadata = coreMetadata
    }

    /// SHA-256 of the bytes, hex.
    public var sha256: String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
    /// SHA-512 of the bytes in Subresource Integrity form.
    public var sri512: String { "sha512-" + Data(SHA512.hash(data: data)).base64EncodedString() }
    /// SHA-1 of the bytes, hex.
    public var sha1: String { Insecure.SHA1.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}

/// Builds real package files for fixture registries.
public enum PackageBuilder {
    /// A pure-Python wheel of `name` `version` that imports as `name` (with `-` as `_`) and
    /// requires `dependencies` (PEP 508 strings). `padding` adds a data file of that many bytes.
    public static func wheel(name: String, version: String, dependencies: [String] = [], padding: Int = 0) -> PackageFile {
        let module = name.replacingOccurrences(of: "-", with: "_").lowercased()
        let distInfo = "\(module)-\(version).dist-info"
        var metadata = "Metadata-Version: 2.1\nName: \(name)\nVersion: \(version)\nSummary: Larder test fixture\n"
        for dependency in dependencies { metadata += "Requires-Dist: \(dependency)\n" }
        var files: [(String, Data)] = [
            ("\(module)/__init__.py", Data("__version__ = \"\(version)\"\nNAME = \"\(name)\"\n".utf8)),
            ("\(distInfo)/METADATA", Data(metadata.utf8)),
            ("\(distInfo)/WHEEL", Data("Wheel-Version: 1.0\nGenerator: larder-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".utf8)),
        ]
        if padding > 0 {
            var bytes = Data(count: padding)
            for i in 0..<padding { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
            files.append(("\(module)/padding.bin", bytes))
        }
        var record = ""
        for (path, data) in files {
            let digest = Data(SHA256.hash(data: data)).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            record += "\(path),sha256=\(digest),\(data.count)\n"
        }
        record += "\(distInfo)/RECORD,,\n"
        files.append(("\(distInfo)/RECORD", Data(record.utf8)))
        var zip = ZipWriter()
        for (path, data) in files { zip.add(path, data) }
        return PackageFile(filename: "\(module)-\(version)-py3-none-any.whl", data: zip.finish(), coreMetadata: Data(metadata.utf8))
    }

    /// An npm tarball made by the real `npm pack` from a package with `index.js` and the given
    /// dependencies (name to range).
    public static func npmTarball(name: String, version: String, dependencies: [String: String] = [:]) async throws -> PackageFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("larder-npm-pack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest: [String: Any] = ["name": name, "version": version, "main": "index.js", "license": "MIT", "description": "Larder test fixture", "dependencies": dependencies]
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]).write(to: dir.appendingPathComponent("package.json"))
        try Data("module.exports = { name: \(String(reflecting: name)), version: \(String(reflecting: version)) };\n".utf8).write(to: dir.appendingPathComponent("index.js"))
        let output = try await Shell.run(["npm", "pack", "--silent", "--cache", dir.appendingPathComponent(".npm-cache").path, "--userconfig", "/dev/null"], in: dir.path)
        guard let filename = output.split(separator: "\n").last.map({ String($0).trimmingCharacters(in: .whitespaces) }), filename.hasSuffix(".tgz") else {
            throw ShellError(message: "npm pack printed no tarball name: \(output)")
        }
        return PackageFile(filename: filename, data: try Data(contentsOf: dir.appendingPathComponent(filename)))
    }
}
