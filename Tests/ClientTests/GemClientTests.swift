import Foundation
import LarderCore
import LarderMirror
import LarderTesting
import Testing

/// The real `gem` (Debian's ruby) with only Larder as its source, its own `GEM_HOME`, spec cache
/// and home, against Larder in front of a fixture RubyGems source.
@Suite("gem through Larder", .serialized, .enabled(if: Shell.has("gem"), "gem is not on the PATH (Debian's ruby)"))
struct GemClientTests {
    /// `larder-app` 1.0.0, depending on `larder-lib` (`~> 1.2`), of which 1.2.0 and 1.3.0 exist;
    /// built with `gem build`.
    static func publish(_ upstream: FixtureRegistry, compactIndex: Bool = true) async throws -> [FixtureGem] {
        let gems = [
            try await PackageBuilder.gem(name: "larder-lib", version: "1.2.0"),
            try await PackageBuilder.gem(name: "larder-lib", version: "1.3.0"),
            try await PackageBuilder.gem(name: "larder-app", version: "1.0.0", dependencies: ["larder-lib": "~> 1.2"]),
        ]
        try await upstream.publishGems(gems, compactIndex: compactIndex)
        return gems
    }

    /// `gem install larder-app` from Larder alone into a fresh directory; with `token`, as the
    /// password in the source URL (gem's way of sending credentials). `expecting` is the app's
    /// and the lib's version then loaded.
    static func install(through larder: TestLarder, _ arguments: [String] = ["larder-app"], token: String? = nil, expecting: String = "1.0.0 1.3.0") async throws {
        let work = TestLarder.temporaryDirectory("gem-install")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/home", withIntermediateDirectories: true)
        let environment = ["HOME": work + "/home", "GEM_HOME": work + "/gems", "GEM_PATH": work + "/gems", "GEM_SPEC_CACHE": work + "/specs"]
        try await Shell.run(
            ["gem", "install", "--norc", "--clear-sources", "--source", "\(larder.url(user: "ci", password: token))/gem/", "--install-dir", work + "/gems", "--no-document"] + arguments,
            environment: environment, clean: true, timeout: 180)
        let output = try await Shell.run(["ruby", "-e", "require 'larder-app'; require 'larder-lib'; puts LarderApp::VERSION + ' ' + LarderLib::VERSION"], environment: environment, clean: true)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == expecting)
    }

    @Test("gem install through Larder from the compact index: cold, warm (each .gem fetched once) and with the upstream stopped")
    func installWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        try await Self.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        try await Self.install(through: larder)
        try await Self.install(through: larder)
        #expect(upstream.requests(to: "/info/larder-app") >= 1)
        #expect(upstream.requests(to: "/specs.4.8.gz") == 0)
        #expect(upstream.requests(to: "/gems/larder-app-1.0.0.gem") == 1)
        #expect(upstream.requests(to: "/gems/larder-lib-1.3.0.gem") == 1)

        await upstream.stop()
        try await Self.install(through: larder)
        #expect(try await larder.engine.currentStats()["gem"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    @Test("gem install from a source with only the legacy index (specs.4.8.gz, quick gemspecs): warm and with the upstream stopped")
    func legacyIndex() async throws {
        let upstream = try await FixtureRegistry()
        try await Self.publish(upstream, compactIndex: false)
        let larder = try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        try await Self.install(through: larder)
        #expect(upstream.requests(to: "/specs.4.8.gz") >= 1)
        #expect(upstream.requests(to: "/gems/larder-app-1.0.0.gem") == 1)
        await upstream.stop()
        try await Self.install(through: larder)
        await larder.stop()
    }

    /// `bundle install` of a Gemfile naming `larder-app`, with Larder as its only source; `home`
    /// keeps Bundler's compact index cache between runs. Returns the Gemfile.lock.
    @discardableResult
    static func bundle(through larder: TestLarder, home: String, lib: String = "1.3.0") async throws -> String {
        let work = TestLarder.temporaryDirectory("bundle-project")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "source \"\(larder.url)/gem/\"\n\ngem \"larder-app\"\n".write(toFile: work + "/Gemfile", atomically: true, encoding: .utf8)
        let environment = [
            "HOME": home, "BUNDLE_USER_HOME": home + "/.bundle", "BUNDLE_APP_CONFIG": work + "/.bundle", "BUNDLE_PATH": work + "/vendor",
            "BUNDLE_GEMFILE": work + "/Gemfile", "BUNDLE_DISABLE_VERSION_CHECK": "true", "BUNDLE_RETRY": "0", "GEM_HOME": work + "/gem-home",
        ]
        let output = try await Shell.run(["bundle", "install", "--verbose"], in: work, environment: environment, clean: true, timeout: 180)
        // Bundler read the compact index (and so accepted its ETags), not the legacy one.
        #expect(output.contains("Fetching gem metadata from \(larder.url)/gem/"), "\(output)")
        #expect(!output.contains("MisMatchedChecksum") && !output.contains("checksum"), "\(output)")
        let lock = try String(contentsOfFile: work + "/Gemfile.lock", encoding: .utf8)
        #expect(lock.contains("larder-app (1.0.0)") && lock.contains("larder-lib (\(lib))"), "\(lock)")
        return lock
    }

    @Test("bundle install through Larder: the compact index with the MD5 ETags Bundler checks, warm with its index cache, and with the upstream stopped", .enabled(if: Shell.has("bundle"), "bundle is not on the PATH (Debian's ruby-bundler)"))
    func bundleInstall() async throws {
        let upstream = try await FixtureRegistry()
        try await Self.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        let home = TestLarder.temporaryDirectory("bundle-home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let lock = try await Self.bundle(through: larder, home: home)
        try await Self.bundle(through: larder, home: home)
        #expect(upstream.requests(to: "/gems/larder-app-1.0.0.gem") == 1)
        let parsed = try Lockfile.read(Data(lock.utf8), filename: "Gemfile.lock")
        #expect(Set(parsed.packageURLs.map(\.description)) == ["pkg:gem/larder-app@1.0.0", "pkg:gem/larder-lib@1.3.0"])

        await upstream.stop()
        try await Self.bundle(through: larder, home: TestLarder.temporaryDirectory("bundle-home-offline"))
        await larder.stop()
    }

    @Test("larder mirror --lockfile Gemfile.lock fetches every gem; gem install then works offline")
    func mirrorFromGemfileLock() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        try await Self.publish(upstream)
        let data = TestLarder.temporaryDirectory("mirror-gem")
        defer { try? FileManager.default.removeItem(atPath: data) }
        try """
            GEM
              remote: https://rubygems.org/
              specs:
                larder-app (1.0.0)
                  larder-lib (~> 1.2)
                larder-lib (1.3.0)

            PLATFORMS
              ruby

            DEPENDENCIES
              larder-app

            BUNDLED WITH
               2.3.7
            """.write(toFile: data + "/Gemfile.lock", atomically: true, encoding: .utf8)
        let output = try await Shell.run([CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "rubygems=\(upstream.url)", "--lockfile", data + "/Gemfile.lock"])
        #expect(output.contains("failed 0"), "\(output)")
        #expect(upstream.requests(to: "/gems/larder-lib-1.2.0.gem") == 0)

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("rubygems", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        try await Self.install(through: larder, ["larder-app", "larder-lib:1.3.0"])
        await larder.stop()
    }
}
