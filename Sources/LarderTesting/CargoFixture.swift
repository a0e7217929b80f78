public import Foundation
import LarderEcosystems
import NIOCore

extension FixtureRegistry {
    /// Where a fixture Cargo registry's `config.json` says `.crate` files are.
    public enum CargoDownload: Sendable {
        /// `<url>/crates` with no markers: Cargo appends `/{crate}/{version}/download`.
        case plain
        /// `<url>/files/{prefix}/{crate}-{version}.crate`.
        case template
    }

    /// Publishes a sparse registry's `config.json` at the root, with an `api`.
    public func publishCargoConfig(_ download: CargoDownload = .plain) {
        let dl = switch download {
        case .plain: url + "/crates"
        case .template: url + "/files/{prefix}/{crate}-{version}.crate"
        }
        let config: [String: Any] = ["dl": dl, "api": url]
        set("/config.json", body: ByteBuffer(data: try! JSONSerialization.data(withJSONObject: config, options: [.withoutEscapingSlashes])), contentType: "application/json")
    }

    /// Publishes one version of a crate: a line in its index file (every version so far) and
    /// the `.crate` where both kinds of `dl` find it. `dependencies` are name to requirement.
    /// `published` is the line's `pubtime` (nil leaves it out, as on lines older than it).
    public func publishCrate(name: String, version: String, file: PackageFile, dependencies: [String: String] = [:], yanked: Bool = false, published: Date? = nil) {
        let deps: [[String: Any]] = dependencies.sorted { $0.key < $1.key }.map {
            ["name": $0.key, "req": $0.value, "features": [], "optional": false, "default_features": true, "target": NSNull(), "kind": "normal"]
        }
        var line: [String: Any] = ["name": name, "vers": version, "deps": deps, "cksum": file.sha256, "features": [:], "yanked": yanked]
        if let published { line["pubtime"] = ISO8601DateFormatter().string(from: published) }
        let text = String(decoding: try! JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        let path = "/" + CargoIndex.path(of: name)
        let lines = state.cargoIndex.withLock { index in
            index[path, default: []].append(text)
            return index[path]!
        }
        set(path, body: ByteBuffer(string: lines.joined(separator: "\n") + "\n"), contentType: "text/plain", etag: "\"\(lines.count)\"")
        set("/crates/\(name)/\(version)/download", body: ByteBuffer(bytes: file.data))
        set("/files/\(CargoIndex.prefix(of: name))/\(name)-\(version).crate", body: ByteBuffer(bytes: file.data))
    }
}

extension PackageBuilder {
    /// A `.crate` made by the real `cargo package` from a library with the given dependencies
    /// (name to requirement), resolved from the sparse registry at `registry` when there are any.
    public static func crate(name: String, version: String, dependencies: [String: String] = [:], registry: String? = nil) async throws -> PackageFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("larder-cargo-package-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/src", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/cargo-home", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var manifest = """
            [package]
            name = "\(name)"
            version = "\(version)"
            edition = "2021"
            description = "Larder test fixture"
            license = "MIT"

            [dependencies]

            """
        for (dependency, requirement) in dependencies.sorted(by: { $0.key < $1.key }) { manifest += "\(dependency) = \"\(requirement)\"\n" }
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: dir + "/Cargo.toml"))
        try Data("pub fn name() -> &'static str { \"\(name) \(version)\" }\n".utf8).write(to: URL(fileURLWithPath: dir + "/src/lib.rs"))
        if let registry {
            let config = "[source.crates-io]\nreplace-with = \"fixture\"\n\n[source.fixture]\nregistry = \"sparse+\(registry)/\"\n"
            try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/cargo-home/config.toml"))
        }
        // The fixture is a plain Hummingbird server, whose HTTP/1 decoder stops reading a
        // connection after cargo's `Upgrade: h2c` request; cargo asks it without one.
        var environment = cargoEnvironment(home: dir + "/cargo-home")
        environment["CARGO_HTTP_MULTIPLEXING"] = "false"
        try await Shell.run(["cargo", "package", "--no-verify", "--allow-dirty", "--quiet"], in: dir, environment: environment, clean: true)
        let filename = "\(name)-\(version).crate"
        return PackageFile(filename: filename, data: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/target/package/\(filename)")))
    }

    /// The environment for a `cargo` of its own: `CARGO_HOME` at `home`, the machine's toolchain.
    public static func cargoEnvironment(home: String) -> [String: String] {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["HOME"] ?? "/root"
        return [
            "CARGO_HOME": home, "RUSTUP_HOME": environment["RUSTUP_HOME"] ?? user + "/.rustup",
            "CARGO_TERM_COLOR": "never", "CARGO_NET_RETRY": "0", "CARGO_HTTP_TIMEOUT": "30",
        ]
    }
}
