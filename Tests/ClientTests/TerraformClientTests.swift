import Foundation
import LarderCore
import LarderTesting
import NIOCore
import Testing

/// The real `terraform` through Larder over HTTPS: a provider from the network mirror and a
/// registry module, in front of a fixture registry for the host `registry.example`.
@Suite("terraform through Larder", .enabled(if: Shell.has("terraform"), "terraform is not on the PATH (it is not a Debian package)"))
struct TerraformClientTests {
    /// A module archive (tar.gz) with the module in `modules/vpc`.
    static func moduleArchive() async throws -> PackageFile {
        let work = TestLarder.temporaryDirectory("tf-module")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/src/modules/vpc", withIntermediateDirectories: true)
        try #"output "cidr" { value = "10.0.0.0/16" }"#.write(toFile: work + "/src/modules/vpc/main.tf", atomically: true, encoding: .utf8)
        try await Shell.run(["tar", "czf", work + "/network.tar.gz", "-C", work + "/src", "."])
        return PackageFile(filename: "network-1.0.0.tar.gz", data: try Data(contentsOf: URL(fileURLWithPath: work + "/network.tar.gz")))
    }

    /// Runs `terraform init` in a fresh directory with a CLI configuration naming only Larder.
    /// With `token`, Terraform's own `credentials` blocks carry it: for Larder's host (the
    /// provider mirror) and for the module registry's host (its API, served by Larder); module
    /// archives are fetched by go-getter, which reads `.netrc` (machine `host:port`).
    static func initialize(
        larder: TestLarder, certificates: TestCertificates, provider: String = "fixture", constraint: String = "1.0.0", module: Bool = true, token: String? = nil
    ) async throws -> (String, String) {
        let work = TestLarder.temporaryDirectory("terraform")
        try FileManager.default.createDirectory(atPath: work + "/home", withIntermediateDirectories: true)
        let credentials = token.map { "credentials \"127.0.0.1:\(larder.port)\" {\n  token = \"\($0)\"\n}\ncredentials \"registry.example\" {\n  token = \"\($0)\"\n}\n" } ?? ""
        if let token { try "machine 127.0.0.1:\(larder.port) login ci password \(token)\n".write(toFile: work + "/home/.netrc", atomically: true, encoding: .utf8) }
        try """
        terraform {
          required_providers {
            \(provider) = { source = "registry.example/example/\(provider)", version = "\(constraint)" }
          }
        }
        \(module ? "module \"network\" {\n  source  = \"registry.example/example/network/aws\"\n  version = \"1.0.0\"\n}" : "")
        """.write(toFile: work + "/main.tf", atomically: true, encoding: .utf8)
        try """
        provider_installation {
          network_mirror {
            url = "\(larder.url)/terraform/providers/"
          }
        }
        host "registry.example" {
          services = {
            "modules.v1" = "\(larder.url)/terraform/modules/v1/registry.example/"
          }
        }
        \(credentials)
        """.write(toFile: work + "/cli.tfrc", atomically: true, encoding: .utf8)
        let output = try await Shell.run(
            ["terraform", "init", "-input=false", "-no-color"], in: work,
            environment: [
                "HOME": work + "/home", "TF_CLI_CONFIG_FILE": work + "/cli.tfrc", "SSL_CERT_FILE": certificates.caFile,
                "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
            ], clean: true, timeout: 180)
        return (work, output)
    }

    @Test("terraform init installs a provider from the network mirror and a registry module over HTTPS; warm, and with the upstream stopped")
    func initWarmAndOffline() async throws {
        let certificates = try await TestCertificates.make()
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        let zips = try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: "1.0.0", platforms: ["linux_amd64", "linux_arm64", "darwin_arm64"], key: key)
        let archive = try await Self.moduleArchive()
        upstream.publishTerraformModule(namespace: "example", name: "network", system: "aws", version: "1.0.0", archive: archive, source: "\(upstream.url)/archives/\(archive.filename)//modules/vpc")
        let larder = try await TestLarder {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
        }
        var works: [String] = []
        defer { for work in works { try? FileManager.default.removeItem(atPath: work) } }

        let (first, output) = try await Self.initialize(larder: larder, certificates: certificates)
        works.append(first)
        #expect(output.contains("Terraform has been successfully initialized"), "\(output)")
        let program = first + "/.terraform/providers/registry.example/example/fixture/1.0.0/linux_amd64/terraform-provider-fixture_v1.0.0"
        #expect(FileManager.default.fileExists(atPath: program))
        let modules = (try? String(contentsOfFile: first + "/.terraform/modules/modules.json", encoding: .utf8)) ?? "none"
        #expect((try? String(contentsOfFile: first + "/.terraform/modules/network/modules/vpc/main.tf", encoding: .utf8))?.contains("10.0.0.0/16") == true, "\(modules)\n\(output)")
        let lock = try String(contentsOfFile: first + "/.terraform.lock.hcl", encoding: .utf8)
        #expect(lock.contains("registry.example/example/fixture"))
        #expect(lock.contains("zh:\(zips["linux_amd64"]!.sha256)") || lock.contains("h1:"), "\(lock)")

        let (second, again) = try await Self.initialize(larder: larder, certificates: certificates)
        works.append(second)
        #expect(again.contains("Terraform has been successfully initialized"), "\(again)")
        #expect(upstream.requests(to: "/releases/fixture/1.0.0/\(zips["linux_amd64"]!.filename)", method: "GET") == 1)
        #expect(upstream.requests(to: "/archives/\(archive.filename)", method: "GET") == 1)

        await upstream.stop()
        let (third, offline) = try await Self.initialize(larder: larder, certificates: certificates)
        works.append(third)
        #expect(offline.contains("Terraform has been successfully initialized"), "\(offline)")
        #expect(FileManager.default.fileExists(atPath: third + "/.terraform/providers/registry.example/example/fixture/1.0.0/linux_amd64/terraform-provider-fixture_v1.0.0"))
        await larder.stop()
        await key.remove()
    }

    @Test("terraform init fails, saying so, when a provider's SHA256SUMS is signed by a key its registry did not publish")
    func badSignature() async throws {
        let certificates = try await TestCertificates.make()
        let key = try await FixtureSigningKey.make()
        let stranger = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        try await upstream.publishTerraformProvider(namespace: "example", type: "forged", version: "1.0.0", platforms: ["linux_amd64"], key: key, signer: stranger)
        upstream.publishTerraformModule(namespace: "example", name: "network", system: "aws", version: "1.0.0", archive: try await Self.moduleArchive())
        let larder = try await TestLarder {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
        }
        try await larder.stopping(upstream) {
            do {
                let (work, output) = try await Self.initialize(larder: larder, certificates: certificates, provider: "forged")
                try? FileManager.default.removeItem(atPath: work)
                Issue.record("terraform init succeeded: \(output)")
            } catch {
                #expect("\(error)".contains("502") || "\(error)".contains("signature"), "\(error)")
            }
            #expect(upstream.requests(to: "/releases/forged/1.0.0/terraform-provider-forged_1.0.0_linux_amd64.zip") == 0)
        }
        await key.remove()
        await stranger.remove()
    }

    @Test("larder mirror fetches the providers a .terraform.lock.hcl names for every configured platform; terraform init then works offline")
    func mirrorFromLockfile() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let certificates = try await TestCertificates.make()
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        upstream.publishTerraformDiscovery()
        let zips = try await upstream.publishTerraformProvider(namespace: "example", type: "fixture", version: "1.0.0", platforms: ["linux_amd64", "darwin_arm64", "windows_amd64"], key: key)
        let data = TestLarder.temporaryDirectory("mirror-terraform")
        defer { try? FileManager.default.removeItem(atPath: data) }
        try """
            upstreams:
              terraform:
                registry.example: \(upstream.url)
            """.write(toFile: data + "/larder.yaml", atomically: true, encoding: .utf8)
        try """
            # This file is maintained automatically by "terraform init".
            # Manual edits may be lost in future updates.

            provider "registry.example/example/fixture" {
              version     = "1.0.0"
              constraints = "1.0.0"
              hashes = [
                "zh:\(zips["linux_amd64"]!.sha256)",
              ]
            }
            """.write(toFile: data + "/.terraform.lock.hcl", atomically: true, encoding: .utf8)
        let output = try await Shell.run([
            CommandLineTests.binary, "mirror", "--config", data + "/larder.yaml", "--data-dir", data, "--lockfile", data + "/.terraform.lock.hcl",
            "--mirror-platforms", "linux_amd64,darwin_arm64",
        ])
        #expect(output.contains("failed 0"), "\(output)")
        #expect(output.contains(zips["linux_amd64"]!.filename) && output.contains(zips["darwin_arm64"]!.filename), "\(output)")
        #expect(!output.contains(zips["windows_amd64"]!.filename), "\(output)")
        #expect(upstream.requests(to: "/releases/fixture/1.0.0/\(zips["windows_amd64"]!.filename)") == 0)

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            $0.upstreams["terraform"] = [try Upstream(url: upstream.url, setting: "upstreams.terraform.registry.example", name: "registry.example")]
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
            $0.engine.metadataTTL = .zero
        }
        let (work, offline) = try await Self.initialize(larder: larder, certificates: certificates, module: false)
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(offline.contains("Terraform has been successfully initialized"), "\(offline)")
        await larder.stop()
        await key.remove()
    }
}
