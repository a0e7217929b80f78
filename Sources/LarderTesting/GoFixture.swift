public import Foundation
import LarderEcosystems
import NIOCore

extension FixtureRegistry {
    /// Publishes a module version as a GOPROXY serves it, at case-encoded paths: `@v/list`
    /// (every version so far), `@v/<version>.info`, `.mod`, `.zip` and `@latest`.
    /// `published` is the `Time` its `.info` gives (nil leaves it out).
    public func publishGoModule(_ module: String, version: String, goMod: String, zip: PackageFile, published: Date? = Date(timeIntervalSince1970: 1_793_491_200)) {
        let base = "/" + GoModulePath.escape(module)
        let escaped = GoModulePath.escape(version)
        let versions = state.goVersions.withLock { published in
            published[base, default: []].append(version)
            return published[base]!
        }
        set(base + "/@v/list", body: ByteBuffer(string: versions.joined(separator: "\n") + "\n"), contentType: "text/plain; charset=utf-8")
        let time = published.map { #","Time":"\#(ISO8601DateFormatter().string(from: $0))""# } ?? ""
        let info = ByteBuffer(string: #"{"Version":"\#(version)"\#(time)}"#)
        set(base + "/@v/\(escaped).info", body: info, contentType: "application/json")
        set(base + "/@latest", body: info, contentType: "application/json")
        set(base + "/@v/\(escaped).mod", body: ByteBuffer(string: goMod), contentType: "text/plain; charset=utf-8")
        set(base + "/@v/\(escaped).zip", body: ByteBuffer(bytes: zip.data), contentType: "application/zip")
    }

    /// Publishes the checksum database's record of a module version (`zip` and `mod` are
    /// `h1:` hashes) at `/sumdb/sum.golang.org/lookup/…`, and says the database is supported.
    public func publishGoChecksums(_ module: String, version: String, zip: String, mod: String, record: Int = 42) {
        let body = "\(record)\n\(module) \(version) \(zip)\n\(module) \(version)/go.mod \(mod)\n\ngo.sum database tree\n\(record + 1)\nAAAA\n\n— sum.golang.org fixture\n"
        set("/sumdb/sum.golang.org/supported", body: ByteBuffer(), contentType: "text/plain")
        set("/sumdb/sum.golang.org/lookup/\(GoModulePath.escape(module))@\(GoModulePath.escape(version))", body: ByteBuffer(string: body), contentType: "text/plain; charset=utf-8")
    }
}

extension PackageBuilder {
    /// A module zip as the module proxy protocol defines it (every file under
    /// `<module>@<version>/`, deflated), written by Python's `zipfile`.
    public static func goModuleZip(module: String, version: String, files: [String: String]) async throws -> PackageFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("larder-go-zip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = try JSONSerialization.data(withJSONObject: files.mapKeys { "\(module)@\(version)/\($0)" }, options: [.sortedKeys])
        try manifest.write(to: URL(fileURLWithPath: dir + "/files.json"))
        let script = "import json, sys, zipfile\nfiles = json.load(open(sys.argv[1]))\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n    for name in sorted(files): z.writestr(name, files[name])\n"
        try await Shell.run(["python3", "-c", script, dir + "/files.json", dir + "/module.zip"])
        return PackageFile(filename: "\(version).zip", data: try Data(contentsOf: URL(fileURLWithPath: dir + "/module.zip")))
    }
}

extension Dictionary {
    fileprivate func mapKeys<T: Hashable>(_ transform: (Key) -> T) -> [T: Value] {
        Dictionary<T, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
