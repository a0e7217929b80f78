import Crypto
import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// What each ecosystem's metadata lists when a package rule hides a version: the version is
/// left out of the document clients read, pointers move, and its download answers 403.
@Suite("Package rules in each ecosystem's metadata")
struct RuleFilteringTests {
    static func block(_ larder: TestLarder, _ purl: String) async throws {
        let admin = try await larder.makeToken(.admin, name: "security-\(UUID().uuidString.prefix(6))")
        let body = try JSONSerialization.data(withJSONObject: ["purl": purl, "note": "test block"])
        let answer = try await RawHTTP.send(port: larder.port, method: "POST", target: "/api/blocks", headers: [("Authorization", "Bearer \(admin)"), ("Content-Type", "application/json")], body: body)
        try #require(answer.status == 201, "\(purl): \(answer.text)")
    }

    @Test("cargo index, go version list, composer p2, nuget flat index, maven-metadata.xml (and its checksum), terraform module versions: the blocked version disappears, the other stays, and the blocked download is refused")
    func everyEcosystem() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig()
        for version in ["1.0.0", "2.0.0"] { upstream.publishCrate(name: "demo", version: version, file: CargoServerTests.crate("demo", version)) }
        for version in ["v1.0.0", "v1.1.0"] {
            upstream.publishGoModule("larder.test/mod", version: version, goMod: "module larder.test/mod\n", zip: PackageFile(filename: "\(version).zip", data: Data(version.utf8)))
        }
        upstream.publishComposerRoot()
        upstream.publishComposerPackage("acme/lib", versions: [.init(version: "1.0.0", archive: ComposerServerTests.archive), .init(version: "1.1.0", archive: ComposerServerTests.newer)])
        _ = upstream.publishNuGetPackage(id: "Larder.Fixture", versions: ["1.0.0", "2.0.0"])
        upstream.publishMaven(MavenProject(group: "org.larder.test", artifact: "lib", version: "1.0"))
        upstream.publishMaven(MavenProject(group: "org.larder.test", artifact: "lib", version: "2.0"))
        upstream.publishTerraformDiscovery()
        let archive = PackageFile(filename: "network.tar.gz", data: Data("archive".utf8))
        for version in ["1.0.0", "1.1.0"] {
            upstream.publishTerraformModule(namespace: "example", name: "network", system: "aws", version: version, archive: archive, source: "/archives/network-\(version).tar.gz")
        }
        upstream.set("/v1/modules/example/network/aws/versions", body: ByteBuffer(string: #"{"modules": [{"versions": [{"version": "1.0.0"}, {"version": "1.1.0"}]}]}"#), contentType: "application/json")
        let larder = try await TestLarder {
            try $0.setUpstream("cargo", upstream.url)
            try $0.setUpstream("go", upstream.url)
            try $0.setUpstream("composer", upstream.url)
            try $0.setUpstream("nuget", upstream.url + "/v3/index.json")
            try $0.setUpstream("maven", upstream.mavenURL())
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
        }
        try await larder.stopping(upstream) {
            // Read once before the rules, so that the filtered answers replace cached ones.
            let metadata = "/maven/org/larder/test/lib/maven-metadata.xml"
            let before = try await RawHTTP.send(port: larder.port, target: metadata)
            #expect(before.text.contains("<version>2.0</version>") && before.text.contains("<latest>2.0</latest>"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/cargo/de/mo/demo").text.contains("\"2.0.0\""))

            for purl in ["pkg:cargo/demo@2.0.0", "pkg:golang/larder.test/mod@v1.1.0", "pkg:composer/acme/lib@1.1.0", "pkg:nuget/Larder.Fixture@2.0.0", "pkg:maven/org.larder.test/lib@2.0",
                         "pkg:terraform/registry.example/example/network/aws@1.1.0"] {
                try await Self.block(larder, purl)
            }

            let cargo = try await RawHTTP.send(port: larder.port, target: "/cargo/de/mo/demo")
            #expect(cargo.status == 200 && cargo.text.contains("\"1.0.0\"") && !cargo.text.contains("\"2.0.0\""), "\(cargo.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/demo/2.0.0/download").status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/demo/1.0.0/download").status == 200)

            #expect(try await RawHTTP.send(port: larder.port, target: "/go/larder.test/mod/@v/list").text == "v1.0.0\n")
            #expect(try await RawHTTP.send(port: larder.port, target: "/go/larder.test/mod/@latest").status == 404)
            #expect(try await RawHTTP.send(port: larder.port, target: "/go/larder.test/mod/@v/v1.1.0.zip").status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "/go/larder.test/mod/@v/v1.1.0.info").status == 403)

            let p2 = try #require(try JSONSerialization.jsonObject(with: try await RawHTTP.send(port: larder.port, target: "/composer/p2/acme/lib.json").body) as? [String: Any])
            let listed = ((p2["packages"] as? [String: Any])?["acme/lib"] as? [[String: Any]])?.compactMap { $0["version"] as? String }
            #expect(listed == ["1.0.0"])

            let flat = try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.fixture/index.json")
            #expect((try JSONSerialization.jsonObject(with: flat.body) as? [String: Any])?["versions"] as? [String] == ["1.0.0"], "\(flat.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.fixture/2.0.0/larder.fixture.2.0.0.nupkg").status == 403)
            // The registration page's leaves, and the leaf itself.
            let index = try await RawHTTP.send(port: larder.port, target: "/nuget/v3/registration/larder.fixture/index.json")
            let pageURL = try #require(((try JSONSerialization.jsonObject(with: index.body) as? [String: Any])?["items"] as? [[String: Any]])?.first?["@id"] as? String)
            let page = try await RawHTTP.send(port: larder.port, target: String(pageURL.dropFirst(larder.url.count)))
            let leaves = (try JSONSerialization.jsonObject(with: page.body) as? [String: Any])?["items"] as? [[String: Any]]
            #expect(leaves?.compactMap { ($0["catalogEntry"] as? [String: Any])?["version"] as? String } == ["1.0.0"], "\(page.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/nuget/v3/registration/larder.fixture/2.0.0.json").status == 403)

            let after = try await RawHTTP.send(port: larder.port, target: metadata)
            #expect(!after.text.contains("<version>2.0</version>") && after.text.contains("<version>1.0</version>"), "\(after.text)")
            #expect(after.text.contains("<latest>1.0</latest>") && after.text.contains("<release>1.0</release>"), "\(after.text)")
            #expect(after.headers["etag"] != before.headers["etag"])
            let sha1 = try await RawHTTP.send(port: larder.port, target: metadata + ".sha1")
            #expect(sha1.text == Insecure.SHA1.hash(data: after.body).map { String(format: "%02x", $0) }.joined())
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/2.0/lib-2.0.jar").status == 403)

            let modules = try await RawHTTP.send(port: larder.port, target: "/terraform/modules/v1/registry.example/example/network/aws/versions")
            #expect(modules.status == 200 && modules.text.contains("1.0.0") && !modules.text.contains("1.1.0"), "\(modules.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/terraform/modules/v1/registry.example/example/network/aws/1.1.0/download").status == 403)
        }
    }

    @Test("RubyGems and OCI: a blocked gem version (platform gems too) and an image tag are refused on download; the version's lines leave the gem's info file, whose ETag is the MD5 of what is served, and the global versions file (served as it is while no rule names a gem); the tag leaves the tag list")
    func downloadsRefused() async throws {
        let upstream = try await FixtureRegistry()
        RubyGemsServerTests.publish(upstream)
        let older = "1.0.0 |checksum:\(String(repeating: "a", count: 64))\n"
        let info = "---\n\(older)2.0.0 |checksum:\(RubyGemsServerTests.gem.sha256),ruby:>= 2.7\n2.0.0-x86_64-linux |checksum:\(RubyGemsServerTests.platformGem.sha256)\n"
        upstream.set("/info/rack-ish", body: ByteBuffer(string: info), contentType: "text/plain")
        let md5 = String(repeating: "b", count: 32)
        let versions = "created_at: 2026-11-01T00:00:00Z\n---\nother 2.0.0 \(md5)\nrack-ish 1.0.0,2.0.0,2.0.0-x86_64-linux \(md5)\nrack-ish -2.0.0 \(md5)\n"
        upstream.set("/versions", body: ByteBuffer(string: versions), contentType: "text/plain")
        upstream.publishOCIImage("team/app", layers: [(Data("layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0", "2.0"])
        let larder = try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            try $0.setUpstream("oci", upstream.url)
        }
        try await larder.stopping(upstream) {
            #expect(try await RawHTTP.send(port: larder.port, target: "/gem/versions").text == versions)
            try await Self.block(larder, "pkg:gem/rack-ish@2.0.0")
            let cut = try await RawHTTP.send(port: larder.port, target: "/gem/versions")
            #expect(cut.status == 200 && cut.text == "created_at: 2026-11-01T00:00:00Z\n---\nother 2.0.0 \(md5)\nrack-ish 1.0.0 \(md5)\n", "\(cut.text)")
            #expect(cut.headers["etag"] == "\"\(Insecure.MD5.hash(data: cut.body).hexDigest)\"")
            try await Self.block(larder, "pkg:oci/app@2.0?repository_url=\(upstream.url.replacingOccurrences(of: "http://", with: ""))/team/app")
            for file in [RubyGemsServerTests.gem, RubyGemsServerTests.platformGem] {
                let refused = try await RawHTTP.send(port: larder.port, target: "/gem/gems/\(file.filename)")
                #expect(refused.status == 403 && refused.text.contains("rack-ish@2.0.0 is blocked"), "\(file.filename): \(refused.text)")
            }
            #expect(upstream.requests(to: "/gems/\(RubyGemsServerTests.gem.filename)") == 0)
            let filtered = try await RawHTTP.send(port: larder.port, target: "/gem/info/rack-ish")
            #expect(filtered.status == 200 && filtered.text == "---\n" + older, "\(filtered.text)")
            #expect(filtered.headers["etag"] == "\"\(Insecure.MD5.hash(data: filtered.body).hexDigest)\"")
            let again = try await RawHTTP.send(port: larder.port, target: "/gem/info/rack-ish", headers: [("If-None-Match", filtered.headers["etag"] ?? "")])
            #expect(again.status == 304)
            let accept = ("Accept", "application/vnd.oci.image.manifest.v1+json")
            #expect(try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/2.0", headers: [accept]).status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0", headers: [accept]).status == 200)
            let tags = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/tags/list")
            #expect((try JSONSerialization.jsonObject(with: tags.body) as? [String: Any])?["tags"] as? [String] == ["1.0"], "\(tags.text)")
        }
    }

    @Test("RubyGems in declared-only mode: the global versions file lists only the declared gems' declared versions")
    func declaredOnlyVersionsFile() async throws {
        let upstream = try await FixtureRegistry()
        let md5 = String(repeating: "c", count: 32)
        upstream.set("/versions", body: ByteBuffer(string: "created_at: 2026-11-01T00:00:00Z\n---\nother 2.0.0 \(md5)\nrack-ish 1.0.0,2.0.0 \(md5)\n"), contentType: "text/plain")
        let larder = try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            $0.mode = .declaredOnly
        }
        try await larder.stopping(upstream) {
            let writer = try await larder.makeToken(.write, name: "platform-team")
            let declared = try await PackageRuleTests.post(larder, "/api/declarations", #"{"purl": "pkg:gem/rack-ish@1.0.0", "note": "used by the API, OPS-9"}"#, token: writer)
            try #require(declared.status == 201, "\(declared.text)")
            let listed = try await RawHTTP.send(port: larder.port, target: "/gem/versions")
            #expect(listed.text == "created_at: 2026-11-01T00:00:00Z\n---\nrack-ish 1.0.0 \(md5)\n", "\(listed.text)")
        }
    }

    @Test("Terraform providers: a blocked version leaves the mirror's index.json, and its version document and archives are refused")
    func terraformProviders() async throws {
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: "1.2.0", platforms: ["linux_amd64"], key: key)
        try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: "1.3.0", platforms: ["linux_amd64"], key: key)
        let platform = [["os": "linux", "arch": "amd64"]]
        let versions = ["versions": ["1.2.0", "1.3.0"].map { ["version": $0, "protocols": ["5.0"], "platforms": platform] as [String: Any] }]
        upstream.set("/v1/providers/example/fixture/versions", body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: versions)), contentType: "application/json")
        let larder = try await TestLarder {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
        }
        try await larder.stopping(upstream) {
            try await Self.block(larder, "pkg:terraform/registry.example/example/fixture@1.3.0")
            let base = "/terraform/providers/registry.example/example/fixture"
            let index = try await RawHTTP.send(port: larder.port, target: "\(base)/index.json")
            #expect((try JSONSerialization.jsonObject(with: index.body) as? [String: Any])?["versions"] as? [String: [String: String]] == ["1.2.0": [:]], "\(index.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "\(base)/1.3.0.json").status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "\(base)/terraform-provider-fixture_1.3.0_linux_amd64.zip").status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "\(base)/1.2.0.json").status == 200)
        }
    }
}
