import Foundation
import LarderMirror
import LarderTesting
import Testing

/// The real `npm`, with a fresh cache and user configuration, against Larder in front of a
/// fixture npm registry on loopback.
@Suite("npm through Larder", .serialized)
struct NpmClientTests {
    /// A package with a dependency and a scoped package (whose document lists only a SHA-1),
    /// built with the real `npm pack`; returns the tarballs.
    static func publish(_ upstream: FixtureRegistry) async throws -> (lib: PackageFile, app: PackageFile, scoped: PackageFile) {
        let lib = try await PackageBuilder.npmTarball(name: "larder-lib", version: "1.2.0")
        let app = try await PackageBuilder.npmTarball(name: "larder-app", version: "1.0.0", dependencies: ["larder-lib": "^1.0.0"])
        let scoped = try await PackageBuilder.npmTarball(name: "@larder/scoped", version: "0.3.0")
        upstream.publishNpm(name: "larder-lib", versions: [("1.2.0", lib, [:])])
        upstream.publishNpm(name: "larder-app", versions: [("1.0.0", app, ["larder-lib": "^1.0.0"])])
        upstream.publishNpm(name: "@larder/scoped", versions: [("0.3.0", scoped, [:])], integrity: .shasumOnly)
        return (lib, app, scoped)
    }

    @Test("npm install of a package with a dependency and of a scoped package, then again with the upstream stopped")
    func npmInstallWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        let (lib, _, scoped) = try await Self.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.engine.metadataTTL = .seconds(0)
        }
        let registry = "\(larder.url)/npm/"

        try await Self.install(registry: registry)
        #expect(upstream.requests(to: "/larder-lib/-/\(lib.filename)") == 1)
        #expect(upstream.requests(to: "/@larder/scoped/-/\(scoped.filename)") == 1)

        await upstream.stop()
        try await Self.install(registry: registry)
        #expect(try await larder.engine.currentStats()["npm"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    @Test("npm installs a package whose document is tens of MB from its abbreviated form, npm view reads the full one, curl gets it gzipped; warm and with the upstream stopped")
    func largeDocument() async throws {
        let upstream = try await FixtureRegistry()
        let big = try await PackageBuilder.npmTarball(name: "larder-big", version: "2.0.0")
        let size = upstream.publishLargeNpm(name: "larder-big", version: "2.0.0", file: big, fillerVersions: 2_700, fillerBytes: 8_000)
        #expect(size > 20 << 20)
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.engine.metadataTTL = .seconds(0)
        }
        let registry = "\(larder.url)/npm/"
        let project = TestLarder.temporaryDirectory("npm-big")
        defer { try? FileManager.default.removeItem(atPath: project) }
        let env = ["HOME": project, "npm_config_userconfig": project + "/.npmrc-none", "npm_config_globalconfig": project + "/.npmrc-global-none", "npm_config_update_notifier": "false"]
        func npm(_ arguments: [String], cache: String) async throws -> String {
            try await Shell.run(["npm"] + arguments + ["--registry", registry, "--cache", project + "/" + cache, "--no-audit", "--no-fund"], in: project, environment: env, clean: true)
        }
        try Data(#"{"name": "consumer", "version": "1.0.0", "private": true}"#.utf8).write(to: URL(fileURLWithPath: project + "/package.json"))

        _ = try await npm(["install", "--prefer-online", "larder-big"], cache: "cache-1")
        let installed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project + "/node_modules/larder-big/package.json"))) as? [String: Any]
        #expect(installed?["version"] as? String == "2.0.0")
        let viewed = try await npm(["view", "larder-big@2.0.0", "dist.tarball"], cache: "cache-2")
        #expect(viewed.trimmingCharacters(in: .whitespacesAndNewlines) == registry + "larder-big/-/" + big.filename)

        // What npm asked for is a small part of the document, and gzip makes it smaller still.
        func curl(_ arguments: [String]) async throws -> String {
            try await Shell.run(["curl", "-sS", "-f", "-o", project + "/body", "-w", "%{size_download}"] + arguments + [registry + "larder-big"], clean: true)
        }
        let abbreviatedType = "Accept: application/vnd.npm.install-v1+json"
        let abbreviated = try #require(Int(try await curl(["-H", abbreviatedType])))
        let plain = try Data(contentsOf: URL(fileURLWithPath: project + "/body"))
        #expect(abbreviated * 10 < size)
        let zipped = try #require(Int(try await curl(["-H", abbreviatedType, "--compressed"])))
        #expect(zipped * 5 < abbreviated)
        #expect(try Data(contentsOf: URL(fileURLWithPath: project + "/body")) == plain)

        await upstream.stop()
        try FileManager.default.removeItem(atPath: project + "/node_modules")
        try FileManager.default.removeItem(atPath: project + "/package-lock.json")
        _ = try await npm(["install", "--prefer-online", "larder-big"], cache: "cache-3")
        #expect(FileManager.default.fileExists(atPath: project + "/node_modules/larder-big/package.json"))
        #expect(try await larder.engine.currentStats()["npm"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    static func install(registry: String) async throws {
        let project = TestLarder.temporaryDirectory("npm-project")
        defer { try? FileManager.default.removeItem(atPath: project) }
        try Data(#"{"name": "consumer", "version": "1.0.0", "private": true}"#.utf8).write(to: URL(fileURLWithPath: project + "/package.json"))
        let env = ["HOME": project, "npm_config_userconfig": project + "/.npmrc-none", "npm_config_globalconfig": project + "/.npmrc-global-none", "npm_config_update_notifier": "false"]
        try await Shell.run(
            ["npm", "install", "--registry", registry, "--cache", project + "/.npm-cache", "--no-audit", "--no-fund", "--prefer-online", "larder-app", "@larder/scoped"],
            in: project, environment: env, clean: true)
        let output = try await Shell.run(
            ["node", "-e", "const a = require('larder-app'), l = require('larder-lib'), s = require('@larder/scoped'); console.log(a.version, l.version, s.version)"],
            in: project, environment: env, clean: true)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1.0.0 1.2.0 0.3.0")
        let lock = try String(contentsOfFile: project + "/package-lock.json", encoding: .utf8)
        #expect(lock.contains(registry + "larder-lib/-/"))
        #expect(lock.contains(registry + "@larder/scoped/-/"))
        // The lockfile reader reads what the real npm wrote.
        let parsed = try Lockfile.read(Data(lock.utf8), filename: "package-lock.json")
        #expect(Set(parsed.packageURLs.map(\.description)) == ["pkg:npm/larder-app@1.0.0", "pkg:npm/larder-lib@1.2.0", "pkg:npm/%40larder/scoped@0.3.0"])
        #expect(parsed.packages.allSatisfy { !$0.digests.isEmpty })
    }
}
