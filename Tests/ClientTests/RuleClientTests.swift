import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Package rules seen by each ecosystem's real client: with the newest version of a package
/// blocked, the client resolves to the version before it, and asking for the blocked version
/// itself fails. (npm and pip are in `PolicyClientTests`.)
@Suite("clients and blocked versions", .serialized)
struct RuleClientTests {
    /// Blocks `purl` through the API with an admin token, on `port` (a plain-HTTP listener of
    /// a Larder serving HTTPS) or Larder's own.
    static func block(_ larder: TestLarder, _ purl: String, port: Int? = nil) async throws {
        let admin = try await larder.makeToken(.admin, name: "security-\(UUID().uuidString.prefix(6))")
        let body = try JSONSerialization.data(withJSONObject: ["purl": purl, "note": "bad release"])
        let answer = try await RawHTTP.send(
            port: port ?? larder.port, method: "POST", target: "/api/blocks", headers: [("Authorization", "Bearer \(admin)"), ("Content-Type", "application/json")], body: body)
        try #require(answer.status == 201, "\(answer.text)")
    }

    @Test("gem and bundle: with larder-lib 1.3.0 blocked, larder-app's ~> 1.2 resolves to 1.2.0 (Bundler accepts the cut info file's MD5 ETag); gem install of 1.3.0 fails", .enabled(if: Shell.has("gem"), "gem is not on the PATH (Debian's ruby)"))
    func gem() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await GemClientTests.publish(upstream)
        let larder = try await TestLarder { try $0.setUpstream("rubygems", upstream.url) }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:gem/larder-lib@1.3.0")
            try await GemClientTests.install(through: larder, expecting: "1.0.0 1.2.0")
            if Shell.has("bundle") {
                let home = TestLarder.temporaryDirectory("bundle-home")
                defer { try? FileManager.default.removeItem(atPath: home) }
                _ = try await GemClientTests.bundle(through: larder, home: home, lib: "1.2.0")
            }
            await #expect(throws: ShellError.self) { try await GemClientTests.install(through: larder, ["larder-lib", "-v", "1.3.0"]) }
            #expect(upstream.requests(to: "/gems/larder-lib-1.3.0.gem") == 0)
        }
    }

    @Test("composer: with larder/lib 1.3.0 blocked, larder/app's ^1.2 resolves to 1.2.0", .enabled(if: Shell.has("composer") && Shell.has("php"), "composer and php are not on the PATH"))
    func composer() async throws {
        let upstream = try await FixtureRegistry()
        let files = try await ComposerClientTests.publish(upstream)
        let larder = try await TestLarder { try $0.setUpstream("composer", upstream.url + "/repo") }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:composer/larder/lib@1.3.0")
            let lock = try await ComposerClientTests.install(through: larder, expecting: "larder/app 1.0.0 larder/lib 1.2.0")
            #expect(lock.contains("\"1.2.0\"") && !lock.contains("\"1.3.0\""), "\(lock)")
            #expect(upstream.requests(to: "/\(files["lib"]!.filename)") == 0)
        }
    }

    @Test("mvn: with lib-b 1.1 blocked, the range [1.0,2.0) resolves to 1.0")
    func maven() async throws {
        try #require(Shell.has("mvn") && Shell.has("javac"), "mvn and javac are needed (Debian: maven, default-jdk-headless)")
        let repositories = try await MavenClientTests.repositories()
        let larder = try await TestLarder { $0.upstreams["maven"] = try MavenClientTests.upstreams(repositories) }
        try await larder.stopping(repositories.private, repositories.public) {
            try await Self.block(larder, "pkg:maven/org.larder.test/lib-b@1.1")
            let resolved = try await MavenClientTests.resolve(through: larder.url)
            #expect(resolved.resolved == ["org.larder.test:lib-a:1.0", "org.larder.test:lib-b:1.0"])
            #expect(!repositories.public.received.contains { $0.path.hasSuffix("lib-b-1.1.jar") })
        }
    }

    @Test("cargo: with larder-lib 1.3.0 blocked, a dependency on larder-lib 1 locks 1.2.0; a dependency on =1.3.0 fails to resolve", .enabled(if: Shell.has("cargo"), "cargo is not on the PATH"))
    func cargo() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig(.plain)
        for version in ["1.2.0", "1.3.0"] {
            upstream.publishCrate(name: "larder-lib", version: version, file: try await PackageBuilder.crate(name: "larder-lib", version: version))
        }
        let larder = try await TestLarder { try $0.setUpstream("cargo", upstream.url) }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:cargo/larder-lib@1.3.0")
            func lock(_ requirement: String) async throws -> String { try await CargoClientTests.lock(through: larder, requirement: requirement) }
            let locked = try await lock("1")
            #expect(locked.contains("name = \"larder-lib\"\nversion = \"1.2.0\""), "\(locked)")
            await #expect(throws: ShellError.self) { _ = try await lock("=1.3.0") }
            #expect(upstream.requests(to: "/crates/larder-lib/1.3.0/download") == 0)
        }
    }

    @Test("go: with larder.test/lib v1.3.0 blocked, @latest resolves to v1.2.0 and v1.3.0 itself is refused", .enabled(if: Shell.has("go"), "go is not on the PATH (Debian's golang-go)"))
    func go() async throws {
        let upstream = try await FixtureRegistry()
        let module = "larder.test/lib"
        for version in ["v1.2.0", "v1.3.0"] {
            let goMod = "module \(module)\n\ngo 1.19\n"
            let zip = try await PackageBuilder.goModuleZip(module: module, version: version, files: ["go.mod": goMod, "lib.go": "package lib\n"])
            upstream.publishGoModule(module, version: version, goMod: goMod, zip: zip)
        }
        let larder = try await TestLarder { try $0.setUpstream("go", upstream.url) }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:golang/larder.test/lib@v1.3.0")
            let work = TestLarder.temporaryDirectory("go-rules")
            defer { try? FileManager.default.removeItem(atPath: work) }
            try FileManager.default.createDirectory(atPath: work + "/home", withIntermediateDirectories: true)
            try "module consumer\n\ngo 1.19\n".write(toFile: work + "/go.mod", atomically: true, encoding: .utf8)
            let environment = GoClientTests.environment(caches: work, larder: larder)
            let latest = try await Shell.run(["go", "mod", "download", "-json", "\(module)@latest"], in: work, environment: environment, clean: true, timeout: 180)
            #expect(latest.contains("\"Version\": \"v1.2.0\""), "\(latest)")
            await #expect(throws: ShellError.self) { try await Shell.run(["go", "mod", "download", "-json", "\(module)@v1.3.0"], in: work, environment: environment, clean: true, timeout: 180) }
            #expect(upstream.requests(to: "/\(module)/@v/v1.3.0.zip") == 0)
        }
    }

    @Test("skopeo: with tag 2.0 blocked, list-tags shows 1.0 alone and copying 2.0 fails while 1.0 copies", .enabled(if: Shell.has("skopeo"), "skopeo is not on the PATH"))
    func skopeo() async throws {
        let work = TestLarder.temporaryDirectory("skopeo-rules")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let upstream = try await FixtureRegistry()
        let layer = try await OCIClientTests.layer(["etc/os-release": "ID=fixture\n"], in: work)
        _ = upstream.publishOCIImage("team/app", layers: [layer], tags: ["1.0", "2.0"])
        let larder = try await TestLarder { try $0.setUpstream("oci", upstream.url) }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:oci/app@2.0?repository_url=\(upstream.url.replacingOccurrences(of: "http://", with: ""))/team/app")
            let registry = "127.0.0.1:\(larder.port)"
            let tags = try await OCIClientTests.skopeo(["list-tags", "--tls-verify=false", "docker://\(registry)/team/app"], home: work)
            #expect(tags.contains("\"1.0\"") && !tags.contains("\"2.0\""), "\(tags)")
            _ = try await OCIClientTests.skopeo(["copy", "--src-tls-verify=false", "docker://\(registry)/team/app:1.0", "dir:\(work)/allowed"], home: work)
            #expect(FileManager.default.fileExists(atPath: work + "/allowed/manifest.json"))
            do {
                _ = try await OCIClientTests.skopeo(["copy", "--src-tls-verify=false", "docker://\(registry)/team/app:2.0", "dir:\(work)/blocked"], home: work)
                Issue.record("skopeo copied a blocked tag")
            } catch let error as ShellError {
                #expect(error.message.contains("bad release") || error.message.contains("denied") || error.message.contains("403"), "\(error.message)")
            }
        }
    }

    @Test("apt-get: with larder-hello 1.0-1 blocked, apt-get update still verifies the archive's signed indexes, apt-get download of the blocked package fails and another package downloads", .enabled(if: Shell.has("apt-get") && Shell.has("apt-ftparchive") && Shell.has("dpkg-deb"), "apt-get, apt-ftparchive (apt-utils) and dpkg-deb are needed"))
    func aptGet() async throws {
        let key = try await FixtureSigningKey.make()
        let (upstream, hello, other) = try await FixtureRegistry.debianPair(key: key)
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
        }
        let work = TestLarder.temporaryDirectory("apt-rules")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:deb/debian/larder-hello@1.0-1")
            try await FixtureRegistry.debianKeyring(key, path: work + "/archive.gpg")
            let source = "\(larder.url)/debian/test"
            let update = try await AptClientTests.aptGet(["update"], work: work, source: source)
            #expect(!update.contains("Err:"), "\(update)")
            _ = try await AptClientTests.aptGet(["download", other.name], work: work, source: source)
            do {
                _ = try await AptClientTests.aptGet(["download", hello.name], work: work, source: source)
                Issue.record("apt-get downloaded a blocked package")
            } catch let error as ShellError {
                #expect(error.message.contains("403"), "\(error.message)")
            }
            #expect(upstream.requests(to: "/debian/\(hello.poolPath)") == 0)
        }
        await key.remove()
    }

    @Test("terraform: with provider 1.1.0 blocked, ~> 1.0 installs 1.0.0 from the network mirror, and = 1.1.0 fails", .enabled(if: Shell.has("terraform"), "terraform is not on the PATH"))
    func terraform() async throws {
        let certificates = try await TestCertificates.make()
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        for version in ["1.0.0", "1.1.0"] {
            _ = try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: version, platforms: ["linux_amd64"], key: key)
        }
        let platforms = [["os": "linux", "arch": "amd64"]]
        let versions = ["versions": ["1.0.0", "1.1.0"].map { ["version": $0, "protocols": ["5.0"], "platforms": platforms] as [String: Any] }]
        upstream.set("/v1/providers/example/fixture/versions", body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: versions)), contentType: "application/json")
        let larder = try await TestLarder {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
            $0.plainHTTP = ("127.0.0.1", 0)
        }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:terraform/registry.example/example/fixture@1.1.0", port: larder.plainPort)
            let (work, output) = try await TerraformClientTests.initialize(larder: larder, certificates: certificates, constraint: "~> 1.0", module: false)
            defer { try? FileManager.default.removeItem(atPath: work) }
            #expect(output.contains("Terraform has been successfully initialized"), "\(output)")
            let providers = work + "/.terraform/providers/registry.example/example/fixture/"
            #expect(try FileManager.default.contentsOfDirectory(atPath: providers) == ["1.0.0"])
            do {
                let (refused, _) = try await TerraformClientTests.initialize(larder: larder, certificates: certificates, constraint: "1.1.0", module: false)
                try? FileManager.default.removeItem(atPath: refused)
                Issue.record("terraform installed a blocked provider version")
            } catch let error as ShellError {
                #expect(error.message.contains("1.1.0"), "\(error.message)")
            }
            #expect(upstream.requests(to: "/releases/fixture/1.1.0/terraform-provider-fixture_1.1.0_linux_amd64.zip") == 0)
        }
        await key.remove()
    }
}
