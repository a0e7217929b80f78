import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/terraform/` over HTTP, in front of a fixture registry for the host `registry.example`.
@Suite("Terraform registries")
struct TerraformServerTests {
    static func larder(_ upstream: FixtureRegistry, ttl: Duration? = nil) async throws -> TestLarder {
        try await TestLarder {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
            if let ttl { $0.engine.metadataTTL = ttl }
        }
    }

    static func json(_ answer: RawHTTP.Answer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any], "\(answer.status) \(answer.text)")
    }

    @Test("the network mirror protocol: index.json, <version>.json with zh: hashes from the signed SHA256SUMS, archives verified and kept")
    func providerMirror() async throws {
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        let zips = try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: "1.2.0", platforms: ["linux_amd64", "darwin_arm64"], key: key)
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let base = "/terraform/providers/registry.example/example/fixture"
            let index = try await RawHTTP.send(port: larder.port, target: "\(base)/index.json")
            #expect(index.status == 200)
            #expect(try Self.json(index)["versions"] as? [String: [String: String]] == ["1.2.0": [:]])

            let version = try await RawHTTP.send(port: larder.port, target: "\(base)/1.2.0.json")
            let archives = try #require(try Self.json(version)["archives"] as? [String: [String: Any]], "\(version.text)")
            #expect(Set(archives.keys) == ["linux_amd64", "darwin_arm64"])
            let linux = try #require(archives["linux_amd64"])
            #expect(linux["url"] as? String == "terraform-provider-fixture_1.2.0_linux_amd64.zip")
            #expect(linux["hashes"] as? [String] == ["zh:\(zips["linux_amd64"]!.sha256)"])

            let zip = try await RawHTTP.send(port: larder.port, target: "\(base)/terraform-provider-fixture_1.2.0_linux_amd64.zip")
            #expect(zip.status == 200)
            #expect(zip.body == zips["linux_amd64"]!.data)
            let again = try await RawHTTP.send(port: larder.port, method: "HEAD", target: "\(base)/terraform-provider-fixture_1.2.0_linux_amd64.zip")
            #expect(again.status == 200)
            #expect(upstream.requests(to: "/releases/fixture/1.2.0/terraform-provider-fixture_1.2.0_linux_amd64.zip") == 1)
            #expect(upstream.requests(to: "/releases/fixture/1.2.0/terraform-provider-fixture_1.2.0_SHA256SUMS.sig") == 1)

            // Bad names, unknown hosts and files.
            for (target, status, fragment) in [
                ("/terraform/providers/other.example/example/fixture/index.json", 404, "upstreams.terraform.other.example"),
                ("/terraform/providers/registry.example/exa%20mple/fixture/index.json", 400, "namespace"),
                ("/terraform/providers/registry.example/example/fixture/9.9.9.json", 404, "no version 9.9.9"),
                ("/terraform/providers/registry.example/example/fixture/evil.zip", 404, "archives named"),
                ("/terraform/providers/registry.example/example/fixture/terraform-provider-fixture_1.2.0_x_y_z.zip", 404, "archives named"),
                ("/terraform/elsewhere", 404, "/terraform/providers/"),
            ] {
                let answer = try await RawHTTP.send(port: larder.port, target: target)
                #expect(answer.status == status, "\(target): \(answer.text)")
                #expect(answer.text.contains(fragment), "\(target): \(answer.text)")
            }
        }
        await key.remove()
    }

    @Test("a tampered archive, a promise the signed SHA256SUMS does not make, and a signature by an unpublished key are refused")
    func refusals() async throws {
        let key = try await FixtureSigningKey.make()
        let stranger = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        let zips = try await upstream.publishTerraformProvider(namespace: "example", type: "tampered", version: "1.0.0", platforms: ["linux_amd64"], key: key)
        upstream.set("/releases/tampered/1.0.0/\(zips["linux_amd64"]!.filename)", body: ByteBuffer(string: "PK not the archive that was signed"))
        try await upstream.publishTerraformProvider(namespace: "example", type: "unsigned", version: "1.0.0", platforms: ["linux_amd64"], key: key, signer: stranger)
        try await upstream.publishTerraformProvider(namespace: "example", type: "promised", version: "1.0.0", platforms: ["linux_amd64"], key: key)
        // The download document promises another digest than the signed SHA256SUMS.
        let promised = "/v1/providers/example/promised/1.0.0/download/linux/amd64"
        let document = try #require(try JSONSerialization.jsonObject(with: Data(upstream.resource(promised)!.body.readableBytesView)) as? [String: Any])
        var changed = document
        changed["shasum"] = String(repeating: "0", count: 64)
        upstream.set(promised, body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: changed)), contentType: "application/json")
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            // The archive streams as it arrives: a mismatch at the end cuts the transfer.
            let tampered = try? await RawHTTP.send(port: larder.port, target: "/terraform/providers/registry.example/example/tampered/terraform-provider-tampered_1.0.0_linux_amd64.zip")
            #expect(tampered == nil || tampered?.status == 502 || tampered?.body.count != 34)
            #expect(try await larder.engine.lookup("terraform/registry.example/providers/example/tampered/terraform-provider-tampered_1.0.0_linux_amd64.zip") == nil)

            for target in ["/terraform/providers/registry.example/example/unsigned/1.0.0.json", "/terraform/providers/registry.example/example/unsigned/terraform-provider-unsigned_1.0.0_linux_amd64.zip"] {
                let answer = try await RawHTTP.send(port: larder.port, target: target)
                #expect(answer.status == 502, "\(target)")
                #expect(answer.text.contains("signature is not good"), "\(answer.text)")
            }
            #expect(upstream.requests(to: "/releases/unsigned/1.0.0/terraform-provider-unsigned_1.0.0_linux_amd64.zip") == 0)

            let disagreeing = try await RawHTTP.send(port: larder.port, target: "/terraform/providers/registry.example/example/promised/terraform-provider-promised_1.0.0_linux_amd64.zip")
            #expect(disagreeing.status == 502)
            #expect(disagreeing.text.contains("does not list"), "\(disagreeing.text)")
            #expect(upstream.requests(to: "/releases/promised/1.0.0/terraform-provider-promised_1.0.0_linux_amd64.zip") == 0)
        }
        await key.remove()
        await stranger.remove()
    }

    @Test("modules: versions, downloads with HTTP archives rewritten through Larder (subdirectory kept), other sources unchanged; served offline")
    func modules() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        let archive = PackageFile(filename: "network-1.0.0.tar.gz", data: Data("not really gzip, kept as given".utf8))
        upstream.publishTerraformModule(namespace: "example", name: "network", system: "aws", version: "1.0.0", archive: archive, source: "/archives/network-1.0.0.tar.gz//modules/vpc")
        upstream.publishTerraformModule(namespace: "example", name: "git", system: "aws", version: "2.0.0", archive: archive, source: "git::https://git.example/network.git?ref=v2.0.0")
        upstream.set("/v1/modules/example/broken/aws/1.0.0/download", FixtureRegistry.Resource(status: 204, body: ByteBuffer()))
        let larder = try await Self.larder(upstream, ttl: .zero)
        try await larder.stopping(upstream) {
            let base = "/terraform/modules/v1/registry.example/example"
            let versions = try await RawHTTP.send(port: larder.port, target: "\(base)/network/aws/versions")
            #expect(versions.status == 200)
            #expect(versions.text.contains("1.0.0"))

            let download = try await RawHTTP.send(port: larder.port, target: "\(base)/network/aws/1.0.0/download")
            #expect(download.status == 204)
            #expect(download.headers["x-terraform-get"] == "\(larder.url)\(base)/network/aws/1.0.0/archive.tar.gz//modules/vpc")
            let fetched = try await RawHTTP.send(port: larder.port, target: "\(base)/network/aws/1.0.0/archive.tar.gz")
            #expect(fetched.status == 200)
            #expect(fetched.body == archive.data)

            let git = try await RawHTTP.send(port: larder.port, target: "\(base)/git/aws/2.0.0/download")
            #expect(git.headers["x-terraform-get"] == "git::https://git.example/network.git?ref=v2.0.0")
            #expect(try await RawHTTP.send(port: larder.port, target: "\(base)/git/aws/2.0.0/archive.tar.gz").status == 404)

            let broken = try await RawHTTP.send(port: larder.port, target: "\(base)/broken/aws/1.0.0/download")
            #expect(broken.status == 502)
            #expect(broken.text.contains("X-Terraform-Get") || broken.text.contains("x-terraform-get"), "\(broken.text)")

            let discovery = try Self.json(try await RawHTTP.send(port: larder.port, target: "/.well-known/terraform.json"))
            #expect(discovery["modules.v1"] as? String == "\(larder.url)/terraform/modules/v1/registry.example/")
            #expect(try await RawHTTP.send(port: larder.port, target: "/.well-known/other.json").status == 404)

            // The registry says 204 without a source now: the stored answer stays.
            upstream.set("/v1/modules/example/network/aws/1.0.0/download", FixtureRegistry.Resource(status: 204, body: ByteBuffer()))
            let kept = try await RawHTTP.send(port: larder.port, target: "\(base)/network/aws/1.0.0/download")
            #expect(kept.headers["x-terraform-get"]?.hasSuffix("archive.tar.gz//modules/vpc") == true, "\(kept.status) \(kept.text)")

            await upstream.stop()
            let offline = try await RawHTTP.send(port: larder.port, target: "\(base)/network/aws/1.0.0/download")
            #expect(offline.headers["x-terraform-get"]?.hasSuffix("archive.tar.gz//modules/vpc") == true)
            #expect(try await RawHTTP.send(port: larder.port, target: "\(base)/network/aws/1.0.0/archive.tar.gz").body == archive.data)
        }
    }
}
