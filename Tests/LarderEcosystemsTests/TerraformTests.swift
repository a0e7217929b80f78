import Foundation
import LarderCore
@testable import LarderEcosystems
import Testing

/// Terraform's names, module sources and registry documents.
@Suite("Terraform")
struct TerraformTests {
    @Test("X-Terraform-Get values split as go-getter splits them; only HTTP archives are cacheable", arguments: [
        ("https://h.example/a/mod.tar.gz", "https://h.example/a/mod.tar.gz", "tar.gz", ""),
        ("https://h.example/a/mod.tgz//modules/vpc", "https://h.example/a/mod.tgz", "tgz", "modules/vpc"),
        ("https://h.example/a/mod.zip//sub?token=x", "https://h.example/a/mod.zip?token=x", "zip", "sub"),
        ("https://h.example/tarball/v1//*?archive=tar.gz", "https://h.example/tarball/v1", "tar.gz", "*"),
        ("http::https://h.example/a/m.tar.gz", "https://h.example/a/m.tar.gz", "tar.gz", ""),
        ("./files/m.zip", "https://reg.example/v1/modules/ns/n/s/1.0.0/files/m.zip", "zip", ""),
        ("../../archive.tar.xz//x", "https://reg.example/v1/modules/ns/n/archive.tar.xz", "tar.xz", "x"),
        ("/archives/m.tar.gz", "https://reg.example/archives/m.tar.gz", "tar.gz", ""),
    ])
    func cacheableSources(value: String, url: String, archive: String, subdir: String) throws {
        let source = try #require(TerraformModuleSource(value, relativeTo: "https://reg.example/v1/modules/ns/n/s/1.0.0/download"))
        #expect(source.url == url)
        #expect(source.archive == archive)
        #expect(source.subdir == subdir)
    }

    @Test("git, s3, shorthands, other schemes and URLs without an archive type pass through", arguments: [
        "git::https://github.com/org/repo.git?ref=v1.0.0", "github.com/org/repo", "s3::https://s3.amazonaws.com/b/m.zip",
        "https://h.example/a/module", "https://h.example/a/m.tar.gz?archive=rar", "file:///etc/m.tar.gz", "ftp://h.example/m.zip", "",
    ])
    func passedThrough(value: String) {
        #expect(TerraformModuleSource(value, relativeTo: "https://reg.example/v1/modules/ns/n/s/1.0.0/download") == nil)
    }

    @Test("host names, labels, versions and packed-layout archive names are checked")
    func names() {
        #expect(TerraformNames.isHostname("registry.terraform.io"))
        #expect(TerraformNames.isHostname("localhost:8443"))
        for bad in ["", "Registry.io", "a..b", ".a", "a:99999", "a:1:2", "a/b", "a b", "ä.example"] { #expect(!TerraformNames.isHostname(bad), "\(bad)") }
        #expect(TerraformNames.isLabel("hashicorp") && TerraformNames.isLabel("my_ns-2"))
        for bad in ["", "a.b", "a/b", "a%2f", String(repeating: "a", count: 65)] { #expect(!TerraformNames.isLabel(bad), "\(bad)") }
        #expect(TerraformNames.isVersion("1.2.3-beta.1+build"))
        for bad in ["v1", "", "1/2", "1 2"] { #expect(!TerraformNames.isVersion(bad), "\(bad)") }
        let name = TerraformNames.providerArchive(type: "aws", version: "5.1.0", os: "linux", arch: "arm64")
        #expect(name == "terraform-provider-aws_5.1.0_linux_arm64.zip")
        #expect(TerraformNames.parseProviderArchive(name, type: "aws")! == ("5.1.0", "linux", "arm64"))
        for bad in ["terraform-provider-aws_5.1.0_linux.zip", "terraform-provider-gcp_5.1.0_linux_arm64.zip", "terraform-provider-aws_5.1.0_linux_arm64.tar", "terraform-provider-aws_v5_linux_arm64.zip"] {
            #expect(TerraformNames.parseProviderArchive(bad, type: "aws") == nil, "\(bad)")
        }
    }

    @Test("SHA256SUMS is read line by line; a line that is not a digest and a name is an error")
    func sums() throws {
        let a = String(repeating: "a", count: 64)
        #expect(try TerraformDocuments.sha256Sums("\(a)  x_linux_amd64.zip\n\(a.uppercased()) *y.zip\n\n") == ["x_linux_amd64.zip": a, "y.zip": a])
        #expect(throws: LarderError.self) { try TerraformDocuments.sha256Sums("<html>login</html>") }
        #expect(throws: LarderError.self) { try TerraformDocuments.sha256Sums("abc  x.zip") }
    }

    @Test("an ASCII-armored key is dearmored to its packets; text that is not one is refused")
    func dearmor() {
        let armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\nAQID\nBAU=\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n"
        #expect(OpenPGPVerifier.dearmor(armored) == Data([1, 2, 3, 4, 5]))
        #expect(OpenPGPVerifier.dearmor("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAQID\n") == nil)
        #expect(OpenPGPVerifier.dearmor("not a key") == nil)
        #expect(OpenPGPVerifier.dearmor("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----") == nil)
    }

    @Test("version constraints in Terraform's syntax", arguments: [
        ("1.2.0", ["1.2.0"]), ("= 1.2.0", ["1.2.0"]), ("!= 1.3.0", ["1.0.0", "1.2.0", "1.2.5", "1.4.0", "2.0.0"]),
        (">= 1.2, < 2.0", ["1.2.0", "1.2.5", "1.3.0", "1.4.0"]), ("~> 1.2", ["1.2.0", "1.2.5", "1.3.0", "1.4.0"]), ("~> 1.2.0", ["1.2.0", "1.2.5"]),
        ("> 1.4.0", ["2.0.0"]), ("<= 1.0.0", ["1.0.0"]), ("2.1.0-beta", ["2.1.0-beta"]),
    ])
    func constraints(text: String, expected: [String]) throws {
        let range = try TerraformConstraints.range(text)
        #expect(["1.0.0", "1.2.0", "1.2.5", "1.3.0", "1.3.0-rc1", "1.4.0", "2.0.0", "2.1.0-beta"].filter(range.contains) == expected)
    }

    @Test("malformed constraints are refused", arguments: ["", ">= x", "~> 1.2.3.4", "1.2.0, ", "=> 1", "~> 9223372036854775807", "-1"])
    func badConstraints(text: String) {
        #expect(throws: LarderError.self) { try TerraformConstraints.range(text) }
    }
}
