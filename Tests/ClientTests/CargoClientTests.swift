import Foundation
import LarderCore
import LarderMirror
import LarderServer
import LarderTesting
import Testing

/// The real `cargo`, with a `CARGO_HOME` of its own whose only registry is Larder (source
/// replacement of crates-io), against Larder in front of a fixture sparse registry.
@Suite("cargo through Larder", .serialized, .enabled(if: Shell.has("cargo"), "cargo is not on the PATH"))
struct CargoClientTests {
    /// Crates with names of every index path shape (1, 3 and 4+ letters; `ab` for 2 is in the
    /// unit tests), packaged with `cargo package`: `larder-app` depends on the other three.
    static func publish(_ upstream: FixtureRegistry, download: FixtureRegistry.CargoDownload) async throws -> [String: PackageFile] {
        upstream.publishCargoConfig(download)
        var files: [String: PackageFile] = [:]
        for (name, version) in [("larder-lib", "1.2.0"), ("q", "0.1.0"), ("xyz", "0.3.0")] {
            let file = try await PackageBuilder.crate(name: name, version: version)
            upstream.publishCrate(name: name, version: version, file: file)
            files[name] = file
        }
        let dependencies = ["larder-lib": "1.2", "q": "0.1", "xyz": "0.3"]
        let app = try await PackageBuilder.crate(name: "larder-app", version: "1.0.0", dependencies: dependencies, registry: upstream.url)
        upstream.publishCrate(name: "larder-app", version: "1.0.0", file: app, dependencies: dependencies)
        files["larder-app"] = app
        return files
    }

    /// `cargo fetch` of a project depending on `larder-app`, in a fresh `CARGO_HOME` whose
    /// crates-io is replaced by Larder; returns the project directory (with its `Cargo.lock`).
    /// With `token`, Larder is a named registry whose token Cargo sends
    /// (`CARGO_REGISTRIES_LARDER_TOKEN`) when its `config.json` says `auth-required`.
    @discardableResult
    static func fetch(through larder: TestLarder, project: String? = nil, token: String? = nil) async throws -> String {
        let work = project ?? TestLarder.temporaryDirectory("cargo-project")
        let home = TestLarder.temporaryDirectory("cargo-home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: work + "/src", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nlarder-app = \"1\"\n"
            .write(toFile: work + "/Cargo.toml", atomically: true, encoding: .utf8)
        try "fn main() { println!(\"{}\", larder_app::name()); }\n".write(toFile: work + "/src/main.rs", atomically: true, encoding: .utf8)
        // Cargo sends tokens only through a credential provider; cargo:token reads them from
        // CARGO_REGISTRIES_<NAME>_TOKEN or credentials.toml.
        let registry = token == nil ? "[source.larder]\nregistry" : "[registry]\nglobal-credential-providers = [\"cargo:token\"]\n\n[registries.larder]\nindex"
        try "[source.crates-io]\nreplace-with = \"larder\"\n\n\(registry) = \"sparse+\(larder.url)/cargo/\"\n"
            .write(toFile: home + "/config.toml", atomically: true, encoding: .utf8)
        var environment = PackageBuilder.cargoEnvironment(home: home)
        if let token { environment["CARGO_REGISTRIES_LARDER_TOKEN"] = token }
        try await Shell.run(["cargo", "fetch"], in: work, environment: environment, clean: true)
        let cached = try FileManager.default.subpathsOfDirectory(atPath: home + "/registry/cache").filter { $0.hasSuffix(".crate") }
        #expect(Set(cached.map { ($0 as NSString).lastPathComponent }) == ["larder-app-1.0.0.crate", "larder-lib-1.2.0.crate", "q-0.1.0.crate", "xyz-0.3.0.crate"])
        return work
    }

    /// `cargo fetch` of a project depending on `larder-lib` with `requirement`, in a fresh
    /// `CARGO_HOME` whose crates-io is replaced by Larder; returns the Cargo.lock. With `lock`,
    /// the project starts from that Cargo.lock.
    static func lock(through larder: TestLarder, requirement: String, lock: String? = nil) async throws -> String {
        let work = TestLarder.temporaryDirectory("cargo-lock")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/project/src", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work + "/home", withIntermediateDirectories: true)
        try "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nlarder-lib = \"\(requirement)\"\n"
            .write(toFile: work + "/project/Cargo.toml", atomically: true, encoding: .utf8)
        try "fn main() {}\n".write(toFile: work + "/project/src/main.rs", atomically: true, encoding: .utf8)
        if let lock { try lock.write(toFile: work + "/project/Cargo.lock", atomically: true, encoding: .utf8) }
        try "[source.crates-io]\nreplace-with = \"larder\"\n\n[source.larder]\nregistry = \"sparse+\(larder.url)/cargo/\"\n"
            .write(toFile: work + "/home/config.toml", atomically: true, encoding: .utf8)
        try await Shell.run(["cargo", "fetch"], in: work + "/project", environment: PackageBuilder.cargoEnvironment(home: work + "/home"), clean: true, timeout: 180)
        return try String(contentsOfFile: work + "/project/Cargo.lock", encoding: .utf8)
    }

    @Test("cargo with a 7-day cooldown: larder-lib 1 locks the month-old 1.2.0, not 1.3.0 published yesterday, and =1.3.0 fails to resolve")
    func cooldown() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig(.plain)
        for (version, age) in [("1.2.0", 30 * 86_400.0), ("1.3.0", 86_400.0)] {
            upstream.publishCrate(name: "larder-lib", version: version, file: try await PackageBuilder.crate(name: "larder-lib", version: version), published: Date() - age)
        }
        let larder = try await TestLarder {
            try $0.setUpstream("cargo", upstream.url)
            $0.cooldown.ecosystems = ["cargo": 7 * 86_400]
        }
        try await larder.stopping(upstream) {
            let locked = try await Self.lock(through: larder, requirement: "1")
            #expect(locked.contains("name = \"larder-lib\"\nversion = \"1.2.0\""), "\(locked)")
            await #expect(throws: ShellError.self) { _ = try await Self.lock(through: larder, requirement: "=1.3.0") }
            #expect(upstream.requests(to: "/crates/larder-lib/1.3.0/download") == 0)
        }
    }

    @Test("cargo fetch through Larder: cold, warm (each .crate fetched once) and with the upstream stopped")
    func fetchWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        let files = try await Self.publish(upstream, download: .plain)
        let larder = try await TestLarder {
            try $0.setUpstream("cargo", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        let project = try await Self.fetch(through: larder)
        defer { try? FileManager.default.removeItem(atPath: project) }
        try await Self.fetch(through: larder)
        for (name, file) in files {
            let version = file.filename.dropFirst(name.count + 1).dropLast(".crate".count)
            #expect(upstream.requests(to: "/crates/\(name)/\(version)/download") == 1, "\(name)")
        }
        // The lockfile reader reads what the real cargo wrote, checksums included.
        let lock = try Lockfile.read(Data(contentsOf: URL(fileURLWithPath: project + "/Cargo.lock")), filename: "Cargo.lock")
        #expect(Set(lock.packageURLs.map(\.description)) == ["pkg:cargo/larder-app@1.0.0", "pkg:cargo/larder-lib@1.2.0", "pkg:cargo/q@0.1.0", "pkg:cargo/xyz@0.3.0"])
        #expect(lock.packages.filter { $0.packageURL != nil }.allSatisfy { $0.digests.count == 1 })

        await upstream.stop()
        try await Self.fetch(through: larder)
        #expect(try await larder.engine.currentStats()["cargo"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    @Test("larder mirror --lockfile Cargo.lock (a registry whose dl has markers) fetches every crate; cargo fetch then works offline")
    func mirrorFromLockfile() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream, download: .template)
        // A Cargo.lock written by cargo against the registry directly.
        let direct = TestLarder.temporaryDirectory("cargo-direct")
        defer { try? FileManager.default.removeItem(atPath: direct) }
        let directLarder = try await TestLarder { try $0.setUpstream("cargo", upstream.url) }
        try await Self.fetch(through: directLarder, project: direct)
        await directLarder.stop()

        let data = TestLarder.temporaryDirectory("mirror-cargo")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let before = upstream.requests(to: "/files/3/x/xyz-0.3.0.crate")
        let output = try await Shell.run([CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "cargo=\(upstream.url)", "--lockfile", direct + "/Cargo.lock"])
        #expect(output.contains("failed 0"), "\(output)")
        #expect(upstream.requests(to: "/files/3/x/xyz-0.3.0.crate") == before + 1)

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("cargo", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        let offline = TestLarder.temporaryDirectory("cargo-offline")
        defer { try? FileManager.default.removeItem(atPath: offline) }
        try FileManager.default.createDirectory(atPath: offline, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: direct + "/Cargo.lock", toPath: offline + "/Cargo.lock")
        try await Self.fetch(through: larder, project: offline)
        await larder.stop()
    }
}
