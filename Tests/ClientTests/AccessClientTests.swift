import Foundation
import LarderCore
import LarderTesting
import Testing

/// Every real client the adapters serve, each sending credentials its own way, against a
/// Larder that allows nothing without a token: with a read token they install, with a bad one
/// they fail.
@Suite("clients with tokens", .serialized)
struct AccessClientTests {
    @Test("pip with the token as the password in its index URL: a read token installs, a bad one is refused")
    func pip() async throws {
        let upstream = try await FixtureRegistry()
        PipClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        let work = TestLarder.temporaryDirectory("pip-token")
        defer { try? FileManager.default.removeItem(atPath: work) }
        func download(_ secret: String) async throws -> String {
            let index = "http://ci:\(secret)@127.0.0.1:\(larder.port)/pypi/simple/"
            return try await Shell.run(["python3", "-m", "pip", "download", "--no-cache-dir", "--index-url", index, "-d", work + "/downloads", "larder-demo"], environment: PipClientTests.pipEnvironment(home: work), clean: true)
        }
        _ = try await download(token)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/downloads").sorted() == ["larder_demo-1.0.0-py3-none-any.whl", "larder_dep-1.0.0-py3-none-any.whl"])
        await #expect(throws: ShellError.self) { _ = try await download("larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
    }

    @Test("npm with _authToken for Larder's registry: a read token installs, a bad one is refused with 401")
    func npm() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await NpmClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        func install(_ secret: String) async throws {
            let project = TestLarder.temporaryDirectory("npm-token")
            defer { try? FileManager.default.removeItem(atPath: project) }
            try Data(#"{"name": "consumer", "version": "1.0.0", "private": true}"#.utf8).write(to: URL(fileURLWithPath: project + "/package.json"))
            try "//127.0.0.1:\(larder.port)/npm/:_authToken=\(secret)\n".write(toFile: project + "/.npmrc-user", atomically: true, encoding: .utf8)
            let env = ["HOME": project, "npm_config_userconfig": project + "/.npmrc-user", "npm_config_globalconfig": project + "/.npmrc-global-none", "npm_config_update_notifier": "false"]
            try await Shell.run(
                ["npm", "install", "--registry", "\(larder.url)/npm/", "--cache", project + "/.npm-cache", "--no-audit", "--no-fund", "larder-app"],
                in: project, environment: env, clean: true)
            #expect(FileManager.default.fileExists(atPath: project + "/node_modules/larder-lib/package.json"))
        }
        try await install(token)
        do {
            try await install("larder_not-a-token")
            Issue.record("npm installed with a bad token")
        } catch let error as ShellError {
            #expect(error.message.contains("401") || error.message.contains("E401"), "\(error.message)")
        }
        await larder.stop()
        await upstream.stop()
    }

    @Test("skopeo with --src-creds: Larder's Bearer challenge and token exchange let a read token copy an image; a bad one and none are refused", .enabled(if: Shell.has("skopeo"), "skopeo is not on the PATH"))
    func skopeo() async throws {
        let work = TestLarder.temporaryDirectory("skopeo-token")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let upstream = try await FixtureRegistry()
        let layer = try await OCIClientTests.layer(["etc/os-release": "ID=fixture\n"], in: work)
        _ = upstream.publishOCIImage("team/app", layers: [layer], tags: ["1.0"])
        let larder = try await TestLarder {
            try $0.setUpstream("oci", upstream.url)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "puller")
        func copy(_ credentials: [String], to name: String) async throws {
            _ = try await OCIClientTests.skopeo(["copy", "--src-tls-verify=false"] + credentials + ["docker://127.0.0.1:\(larder.port)/team/app:1.0", "dir:\(work)/\(name)"], home: work)
        }
        try await copy(["--src-creds", "puller:\(token)"], to: "good")
        #expect(FileManager.default.fileExists(atPath: work + "/good/manifest.json"))
        await #expect(throws: ShellError.self) { try await copy(["--src-creds", "puller:larder_wrong"], to: "bad") }
        await #expect(throws: ShellError.self) { try await copy([], to: "none") }
        await larder.stop()
        await upstream.stop()
    }

    @Test("cargo with its registry token: Larder's config.json says auth-required, so cargo sends CARGO_REGISTRIES_LARDER_TOKEN; a bad token is refused", .enabled(if: Shell.has("cargo"), "cargo is not on the PATH"))
    func cargo() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await CargoClientTests.publish(upstream, download: .plain)
        let larder = try await TestLarder {
            try $0.setUpstream("cargo", upstream.url)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        let config = try await RawHTTP.send(port: larder.port, target: "/cargo/config.json", headers: [("Authorization", token)])
        #expect(config.text.contains("\"auth-required\":true"), "\(config.text)")
        let project = try await CargoClientTests.fetch(through: larder, token: token)
        try? FileManager.default.removeItem(atPath: project)
        await #expect(throws: ShellError.self) { try await CargoClientTests.fetch(through: larder, token: "larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
    }

    @Test("go with the token in its .netrc, over HTTPS (go sends netrc credentials only there): a read token builds, a bad one and none are refused", .enabled(if: Shell.has("go"), "go is not on the PATH (Debian's golang-go)"))
    func go() async throws {
        let certificates = try await TestCertificates.make()
        let upstream = try await FixtureRegistry()
        _ = try await GoClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("go", upstream.url)
            $0.anonymous = .some(nil)
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
        }
        let token = try await larder.makeToken(.read, name: "ci")
        let project = try await GoClientTests.build(through: larder, token: token, caFile: certificates.caFile)
        try? FileManager.default.removeItem(atPath: project)
        await #expect(throws: ShellError.self) { try await GoClientTests.build(through: larder, token: "larder_not-a-token", caFile: certificates.caFile) }
        await #expect(throws: ShellError.self) { try await GoClientTests.build(through: larder, caFile: certificates.caFile) }
        await larder.stop()
        await upstream.stop()
    }

    @Test("gem with the token as the password in its source URL: a read token installs, a bad one is refused", .enabled(if: Shell.has("gem"), "gem is not on the PATH (Debian's ruby)"))
    func gem() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await GemClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        try await GemClientTests.install(through: larder, token: token)
        await #expect(throws: ShellError.self) { try await GemClientTests.install(through: larder, token: "larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
    }

    @Test("composer with http-basic credentials in auth.json: a read token installs, a bad one is refused", .enabled(if: Shell.has("composer") && Shell.has("php"), "composer and php are not on the PATH"))
    func composer() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await ComposerClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("composer", upstream.url + "/repo")
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        _ = try await ComposerClientTests.install(through: larder, token: token)
        await #expect(throws: ShellError.self) { _ = try await ComposerClientTests.install(through: larder, token: "larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
    }

    @Test("mvn with a settings.xml server entry for the mirror: a read token resolves, a bad one fails")
    func maven() async throws {
        try #require(Shell.has("mvn") && Shell.has("javac"), "mvn and javac are needed (Debian: maven, default-jdk-headless)")
        let repositories = try await MavenClientTests.repositories()
        let larder = try await TestLarder {
            $0.upstreams["maven"] = try MavenClientTests.upstreams(repositories)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        let resolved = try await MavenClientTests.resolve(through: larder.url, token: token)
        #expect(resolved.resolved == ["org.larder.test:lib-a:1.0", "org.larder.test:lib-b:1.1"])
        await #expect(throws: ShellError.self) { _ = try await MavenClientTests.resolve(through: larder.url, token: "larder_not-a-token") }
        await larder.stop()
        await repositories.private.stop()
        await repositories.public.stop()
    }

    @Test("terraform with credentials blocks (and .netrc for module archives): a read token installs a provider and a module over HTTPS, a bad one fails", .enabled(if: Shell.has("terraform"), "terraform is not on the PATH"))
    func terraform() async throws {
        let certificates = try await TestCertificates.make()
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        _ = try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: "1.0.0", platforms: ["linux_amd64"], key: key)
        let archive = try await TerraformClientTests.moduleArchive()
        upstream.publishTerraformModule(namespace: "example", name: "network", system: "aws", version: "1.0.0", archive: archive, source: "\(upstream.url)/archives/\(archive.filename)//modules/vpc")
        let larder = try await TestLarder {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        let (work, _) = try await TerraformClientTests.initialize(larder: larder, certificates: certificates, token: token)
        let modules = try String(contentsOfFile: work + "/.terraform/modules/modules.json", encoding: .utf8)
        #expect(modules.contains("\"Key\":\"network\""), "\(modules)")
        #expect(FileManager.default.fileExists(atPath: work + "/.terraform.lock.hcl"))
        try? FileManager.default.removeItem(atPath: work)
        await #expect(throws: ShellError.self) { _ = try await TerraformClientTests.initialize(larder: larder, certificates: certificates, token: "larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
        await key.remove()
    }

    @Test("apt-get with the token in its auth.conf: a read token updates and downloads, a bad one fails", .enabled(if: Shell.has("apt-get") && Shell.has("apt-ftparchive") && Shell.has("dpkg-deb"), "apt-get, apt-ftparchive (apt-utils) and dpkg-deb are needed"))
    func apt() async throws {
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        let hello = FixtureDebianPackage(name: "larder-hello", version: "1.0-1")
        _ = try await upstream.publishDebianArchive(packages: [hello], key: key, byHash: true)
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        func run(_ secret: String) async throws -> String {
            let work = TestLarder.temporaryDirectory("apt-token")
            defer { try? FileManager.default.removeItem(atPath: work) }
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try await FixtureRegistry.debianKeyring(key, path: work + "/archive.gpg")
            let source = "\(larder.url)/debian/test"
            let update = try await AptClientTests.aptGet(["update"], work: work, source: source, token: secret)
            _ = try await AptClientTests.aptGet(["download", hello.name], work: work, source: source, token: secret)
            return update
        }
        let update = try await run(token)
        #expect(!update.contains("Err:"), "\(update)")
        await #expect(throws: ShellError.self) { _ = try await run("larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
        await key.remove()
    }
}
