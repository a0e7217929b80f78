import Foundation
import LarderCore
import LarderMirror
import LarderServer
import LarderTesting
import Testing

/// The real `composer` (Debian's package) with Larder as its only repository (Packagist
/// disabled), its own home and cache, against Larder in front of a fixture Composer repository.
@Suite("composer through Larder", .serialized, .enabled(if: Shell.has("composer") && Shell.has("php"), "composer and php are not on the PATH (Debian's composer and php-cli)"))
struct ComposerClientTests {
    /// `larder/app` 1.0.0 requiring `larder/lib` `^1.2`, of which 1.2.0 and 1.3.0 exist (minified
    /// metadata); the repository's metadata lives below `/repo` while `metadata-url` is
    /// host-relative, as Packagist writes it.
    /// `published` gives `larder/lib`'s versions release times.
    static func publish(_ upstream: FixtureRegistry, published: [String: Date] = [:]) async throws -> [String: PackageFile] {
        let lib12 = try await PackageBuilder.composerArchive(name: "larder/lib", version: "1.2.0")
        let lib13 = try await PackageBuilder.composerArchive(name: "larder/lib", version: "1.3.0")
        let app = try await PackageBuilder.composerArchive(name: "larder/app", version: "1.0.0", require: ["larder/lib": "^1.2"])
        upstream.publishComposerRoot(metadataURL: "/repo/p2/%package%.json")
        upstream.set("/repo/packages.json", upstream.resource("/packages.json")!)
        upstream.remove("/packages.json")
        upstream.publishComposerPackage("larder/lib", versions: [.init(version: "1.2.0", archive: lib12, time: published["1.2.0"]), .init(version: "1.3.0", archive: lib13, time: published["1.3.0"])], prefix: "/repo")
        upstream.publishComposerPackage("larder/app", versions: [.init(version: "1.0.0", require: ["larder/lib": "^1.2"], archive: app, time: published.isEmpty ? nil : Date() - 60 * 86_400)], prefix: "/repo")
        return ["lib": lib13, "app": app]
    }

    /// `composer install` of a project requiring `larder/app`, in a fresh directory with its own
    /// home and cache; returns the composer.lock. With `token`, the home's `auth.json` gives it
    /// as the `http-basic` password for Larder's host.
    @discardableResult
    static func install(through larder: TestLarder, lock: String? = nil, token: String? = nil, expecting: String = "larder/app 1.0.0 larder/lib 1.3.0") async throws -> String {
        let work = TestLarder.temporaryDirectory("composer-project")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/home", withIntermediateDirectories: true)
        let manifest: [String: Any] = [
            "name": "larder/consumer", "require": ["larder/app": "^1.0"],
            "repositories": [["type": "composer", "url": "\(larder.url)/composer"], ["packagist.org": false]],
            "config": ["secure-http": false],
        ]
        try JSONSerialization.data(withJSONObject: manifest, options: [.withoutEscapingSlashes]).write(to: URL(fileURLWithPath: work + "/composer.json"))
        if let lock { try lock.write(toFile: work + "/composer.lock", atomically: true, encoding: .utf8) }
        if let token {
            try FileManager.default.createDirectory(atPath: work + "/home/composer", withIntermediateDirectories: true)
            let auth = ["http-basic": ["127.0.0.1:\(larder.port)": ["username": "ci", "password": token]]]
            try JSONSerialization.data(withJSONObject: auth).write(to: URL(fileURLWithPath: work + "/home/composer/auth.json"))
        }
        let environment = [
            "HOME": work + "/home", "COMPOSER_HOME": work + "/home/composer", "COMPOSER_CACHE_DIR": work + "/cache", "COMPOSER_ALLOW_SUPERUSER": "1",
            "COMPOSER_NO_INTERACTION": "1", "COMPOSER_DISABLE_XDEBUG_WARN": "1",
        ]
        try await Shell.run(["composer", "install", "--no-progress", "--no-interaction"], in: work, environment: environment, clean: true, timeout: 180)
        let output = try await Shell.run(["php", "-r", "require 'vendor/autoload.php'; echo \\Larder\\App\\Package::NAME, ' ', \\Larder\\Lib\\Package::NAME;"], in: work, environment: environment, clean: true)
        #expect(output == expecting)
        return try String(contentsOfFile: work + "/composer.lock", encoding: .utf8)
    }

    @Test("composer with a 7-day cooldown: larder/app's ^1.2 resolves to the month-old larder/lib 1.2.0, not to 1.3.0 released yesterday; the lock then installs on a cold Larder, whose archives are dated by their metadata before they are judged")
    func cooldown() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream, published: ["1.2.0": Date() - 30 * 86_400, "1.3.0": Date() - 86_400])
        let settings: @Sendable (inout LarderConfiguration) throws -> Void = {
            try $0.setUpstream("composer", upstream.url + "/repo")
            $0.cooldown.ecosystems = ["composer": 7 * 86_400]
        }
        let larder = try await TestLarder(configure: settings)
        let lock = try await Self.install(through: larder, expecting: "larder/app 1.0.0 larder/lib 1.2.0")
        #expect(upstream.requests(to: "/repo/dist/larder/lib/1.3.0.zip") == 0)
        await larder.stop()
        let cold = try await TestLarder(configure: settings)
        try await cold.stopping(upstream) {
            try await Self.install(through: cold, lock: lock.replacingOccurrences(of: "127.0.0.1:\(larder.port)", with: "127.0.0.1:\(cold.port)"), expecting: "larder/app 1.0.0 larder/lib 1.2.0")
        }
    }

    @Test("composer install through Larder: cold, warm (each archive fetched once) and with the upstream stopped")
    func installWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("composer", upstream.url + "/repo")
            $0.engine.metadataTTL = .zero
        }
        let lock = try await Self.install(through: larder)
        #expect(lock.contains("\(larder.url)/composer/dists/larder/app/1.0.0/"), "\(lock)")
        try await Self.install(through: larder)
        #expect(upstream.requests(to: "/repo/dist/larder/app/1.0.0.zip") == 1)
        #expect(upstream.requests(to: "/repo/dist/larder/lib/1.3.0.zip") == 1)
        #expect(upstream.requests(to: "/search.json") == 0)
        let parsed = try Lockfile.read(Data(lock.utf8), filename: "composer.lock")
        #expect(Set(parsed.packageURLs.map(\.description)) == ["pkg:composer/larder/app@1.0.0", "pkg:composer/larder/lib@1.3.0"])

        await upstream.stop()
        try await Self.install(through: larder)
        #expect(try await larder.engine.currentStats()["composer"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    @Test("larder mirror --lockfile composer.lock fetches every archive; composer install from that lock then works offline")
    func mirrorFromLock() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream)
        let data = TestLarder.temporaryDirectory("mirror-composer")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let directLarder = try await TestLarder(dataDirectory: TestLarder.temporaryDirectory("composer-first")) { try $0.setUpstream("composer", upstream.url + "/repo") }
        let lock = try await Self.install(through: directLarder)
        await directLarder.stop()
        try lock.write(toFile: data + "/composer.lock", atomically: true, encoding: .utf8)

        let output = try await Shell.run([CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "composer=\(upstream.url)/repo", "--lockfile", data + "/composer.lock"])
        #expect(output.contains("failed 0"), "\(output)")

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("composer", upstream.url + "/repo")
            $0.engine.metadataTTL = .zero
        }
        // The lock names the first Larder's URLs; composer installs from the repository anew.
        let offlineLock = lock.replacingOccurrences(of: directLarder.url, with: larder.url)
        try await Self.install(through: larder, lock: offlineLock)
        await larder.stop()
    }
}
