import Foundation
import LarderServer
import LarderTesting
import Testing

/// `larder mirror` fills a data directory from package URLs, an SBOM and a lockfile; then,
/// with every upstream stopped, Larder alone serves pip and npm installs of those packages.
@Suite("larder mirror, then offline installs", .serialized)
struct MirrorClientTests {
    /// A fixture with the PyPI and npm packages of the client tests.
    static func upstream() async throws -> FixtureRegistry {
        let upstream = try await FixtureRegistry()
        PipClientTests.publish(upstream)
        _ = try await NpmClientTests.publish(upstream)
        return upstream
    }

    static func mirror(_ arguments: [String], data: String, upstream: FixtureRegistry) async throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        return try await Shell.run(
            [CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "pypi=" + upstream.pypiIndexURL, "--upstream", "npm=" + upstream.url, "--upstream", "maven=" + upstream.mavenURL()]
                + arguments)
    }

    /// Larder over `data` with its upstreams unreachable and TTL 0, so every page is served stale.
    static func offlineLarder(_ data: String, upstream: FixtureRegistry) async throws -> TestLarder {
        await upstream.stop()
        return try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            try $0.setUpstream("npm", upstream.url)
            $0.engine.metadataTTL = .seconds(0)
        }
    }

    @Test("from package URLs: pip and npm install offline what was mirrored")
    func fromPackageURLs() async throws {
        let upstream = try await Self.upstream()
        let data = TestLarder.temporaryDirectory("mirror-purls")
        let output = try await Self.mirror(
            ["pkg:pypi/larder-demo@1.0.0", "pkg:pypi/larder_dep", "pkg:npm/larder-app@1.0.0", "pkg:npm/larder-lib", "pkg:npm/%40larder/scoped@0.3.0"],
            data: data, upstream: upstream)
        // demo: wheel + .metadata; dep (all versions): wheel + .metadata; three tarballs.
        #expect(output.contains("fetched 7"), "\(output)")
        #expect(output.contains("failed 0"))

        // Mirroring again fetches nothing.
        let again = try await Self.mirror(["pkg:pypi/larder-demo@1.0.0", "pkg:npm/larder-lib"], data: data, upstream: upstream)
        #expect(again.contains("fetched 0"), "\(again)")
        #expect(again.contains("skipped 3"), "\(again)")

        let larder = try await Self.offlineLarder(data, upstream: upstream)
        try await PipClientTests.downloadAndInstall(index: "\(larder.url)/pypi/simple/")
        try await NpmClientTests.install(registry: "\(larder.url)/npm/")
        await larder.stop()
    }

    @Test("from an SBOM: unsupported and version-less components are reported; npm installs offline")
    func fromSBOM() async throws {
        let upstream = try await Self.upstream()
        let data = TestLarder.temporaryDirectory("mirror-sbom")
        let sbom = data + "/bom.json"
        try Data("""
            {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
             "metadata": {"component": {"type": "application", "name": "consumer", "purl": "pkg:npm/consumer@1.0.0"}},
             "components": [
               {"type": "library", "name": "larder-app", "version": "1.0.0", "purl": "pkg:npm/larder-app@1.0.0",
                "components": [{"type": "library", "name": "larder-lib", "version": "1.2.0", "purl": "pkg:npm/larder-lib@1.2.0"}]},
               {"type": "library", "name": "scoped", "version": "0.3.0", "purl": "pkg:npm/%40larder/scoped@0.3.0"},
               {"type": "library", "name": "Alamofire", "version": "5.9.0", "purl": "pkg:cocoapods/Alamofire@5.9.0"},
               {"type": "library", "name": "mystery"}
             ]}
            """.utf8).write(to: URL(fileURLWithPath: sbom))
        let output = try await Self.mirror(["--sbom", sbom], data: data, upstream: upstream)
        #expect(output.contains("fetched 3"), "\(output)")
        #expect(output.contains("not mirrored: pkg:cocoapods/Alamofire@5.9.0: Larder does not serve cocoapods packages yet"))
        #expect(output.contains("mystery: no package URL"))
        #expect(!output.contains("consumer"))

        let larder = try await Self.offlineLarder(data, upstream: upstream)
        try await NpmClientTests.install(registry: "\(larder.url)/npm/")
        await larder.stop()
    }

    @Test("from a requirements lockfile with hashes: pip installs offline")
    func fromLockfile() async throws {
        let upstream = try await Self.upstream()
        let data = TestLarder.temporaryDirectory("mirror-lock")
        let lockfile = data + "/requirements.txt"
        let demo = PackageBuilder.wheel(name: "larder-demo", version: "1.0.0", dependencies: ["larder-dep>=1.0"])
        try "larder-demo==1.0.0 --hash=sha256:\(demo.sha256)\nlarder-dep==1.0.0\n".write(toFile: lockfile, atomically: true, encoding: .utf8)
        let output = try await Self.mirror(["--lockfile", lockfile], data: data, upstream: upstream)
        #expect(output.contains("fetched 4"), "\(output)")

        let larder = try await Self.offlineLarder(data, upstream: upstream)
        try await PipClientTests.downloadAndInstall(index: "\(larder.url)/pypi/simple/")
        await larder.stop()
    }

    @Test("version ranges in each ecosystem's own syntax select every matching, non-yanked version")
    func ranges() async throws {
        let upstream = try await Self.upstream()
        let data = TestLarder.temporaryDirectory("mirror-ranges")
        // larder-demo has 1.0.0 and a yanked 2.0.0; ranges never pick yanked versions.
        let output = try await Self.mirror(["--dry-run", "pkg:pypi/larder-demo@>=1.0,<3", "pkg:npm/larder-lib@^1.0.0"], data: data, upstream: upstream)
        #expect(output.contains("would fetch pkg:pypi/larder-demo@1.0.0 larder_demo-1.0.0-py3-none-any.whl"), "\(output)")
        #expect(!output.contains("larder_demo-2.0.0"))
        #expect(output.contains("would fetch pkg:npm/larder-lib@1.2.0 larder-lib-1.2.0.tgz"))
        do {
            _ = try await Self.mirror(["--dry-run", "pkg:npm/larder-app@~2.0"], data: data, upstream: upstream)
            Issue.record("a range matching nothing was accepted")
        } catch {
            #expect("\(error)".contains("upstream has no version matching '~2.0' of larder-app (it has 1.0.0)"), "\(error)")
        }
        await upstream.stop()
    }

    @Test("a dry run lists artifacts with sizes and fetches nothing; failures give a non-zero exit")
    func dryRunAndFailures() async throws {
        let upstream = try await Self.upstream()
        let data = TestLarder.temporaryDirectory("mirror-dry")
        let dry = try await Self.mirror(["--dry-run", "pkg:pypi/larder-dep@1.0.0"], data: data, upstream: upstream)
        #expect(dry.contains("would fetch pkg:pypi/larder-dep@1.0.0 larder_dep-1.0.0-py3-none-any.whl ("), "\(dry)")
        #expect(dry.contains("2 to fetch"))
        #expect(upstream.requests(to: "/files/larder_dep-1.0.0-py3-none-any.whl") == 0)

        do {
            _ = try await Self.mirror(["pkg:npm/larder-lib@9.9.9", "pkg:npm/no-such-package", "not a purl"], data: data, upstream: upstream)
            Issue.record("larder mirror succeeded with failures")
        } catch {
            let text = "\(error)"
            #expect(text.contains("exited with 1"))
            #expect(text.contains("upstream has no version matching '9.9.9'"))
            #expect(text.contains("no-such-package"))
            #expect(text.contains("not a valid package URL"))
        }
        await upstream.stop()
    }

    @Test("Maven from package URLs and an SBOM, with two upstreams from a config file: mvn resolves offline, parent POM and range included")
    func maven() async throws {
        try #require(Shell.has("mvn") && Shell.has("javac"), "mvn and javac are needed (Debian: maven, default-jdk-headless)")
        let repositories = try await MavenClientTests.repositories()
        let data = TestLarder.temporaryDirectory("mirror-maven")
        let config = data + "/larder.yaml"
        try """
            upstreams:
              maven:
                - url: \(repositories.private.mavenURL(prefix: "/releases"))
                  auth: {username: ci, password_env: LARDER_TEST_MAVEN_PASSWORD}
                - url: \(repositories.public.mavenURL())
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let sbom = data + "/bom.json"
        try Data("""
            {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
               {"type": "library", "name": "lib-a", "version": "1.0", "purl": "pkg:maven/org.larder.test/lib-a@1.0"},
               {"type": "library", "name": "lib-b", "version": "1.1", "purl": "pkg:maven/org.larder.test/lib-b@1.1?type=jar"}
             ]}
            """.utf8).write(to: URL(fileURLWithPath: sbom))
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        // mvn reads the POM of every version in a range (lib-a asks for lib-b [1.0,2.0)), so the
        // range is mirrored besides the version the SBOM lists.
        let output = try await Shell.run(
            [CommandLineTests.binary, "mirror", "--config", config, "--data-dir", data, "--sbom", sbom, "pkg:maven/org.larder.test/lib-b@[1.0,2.0)",
             "pkg:maven/org.larder.test/larder-probe-maven-plugin@1.0?type=maven-plugin", "pkg:maven/org.codehaus.plexus/plexus-utils@[1.0,2.0)"],
            environment: ["LARDER_TEST_MAVEN_PASSWORD": "s3cret"])
        #expect(output.contains("failed 0"), "\(output)")
        #expect(output.contains("larder-parent-1.0.pom.sha1"), "\(output)")
        #expect(output.contains("lib-b-1.0.jar.sha1") && !output.contains("lib-b-2.0"), "\(output)")
        #expect(!output.contains("s3cret"))

        await repositories.private.stop()
        await repositories.public.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            $0.upstreams["maven"] = try MavenClientTests.upstreams(repositories)
            $0.engine.metadataTTL = .seconds(0)
        }
        let offline = try await MavenClientTests.resolve(through: larder.url)
        #expect(offline.resolved == ["org.larder.test:lib-a:1.0", "org.larder.test:lib-b:1.1"])
        await larder.stop()
    }

    @Test("Maven package URLs that cannot be mirrored say why")
    func mavenProblems() async throws {
        let upstream = try await Self.upstream()
        upstream.publishMaven(MavenProject(group: "org.larder.test", artifact: "lib", version: "1.0"))
        let data = TestLarder.temporaryDirectory("mirror-maven-bad")
        await #expect { try await Self.mirror(["pkg:maven/org.larder.test/lib@9.9", "pkg:maven/lib@1.0", "pkg:maven/org.larder.test/lib@1.0-SNAPSHOT"], data: data, upstream: upstream) } throws: { error in
            let text = "\(error)"
            return text.contains("upstream has no version '9.9'") && text.contains("pkg:maven/lib@1.0") && text.contains("snapshot")
        }
        await upstream.stop()
    }
}
