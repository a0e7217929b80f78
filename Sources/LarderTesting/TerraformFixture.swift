public import Foundation
import NIOCore

/// A throwaway OpenPGP signing key, made with GnuPG in a temporary home directory.
public struct FixtureSigningKey: Sendable {
    /// The GnuPG home holding the secret key.
    public let home: String
    /// The public key, ASCII-armored.
    public let armoredPublicKey: String

    /// Makes a new Ed25519 signing key.
    public static func make() async throws -> FixtureSigningKey {
        let home = TestLarder.temporaryDirectory("gpg")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: home)
        try await Shell.run(["gpg", "--batch", "--homedir", home, "--passphrase", "", "--quick-gen-key", "Fixture Registry <fixture@example.invalid>", "ed25519", "sign", "never"])
        let armored = try await Shell.run(["gpg", "--batch", "--homedir", home, "--armor", "--export"])
        return FixtureSigningKey(home: home, armoredPublicKey: armored)
    }

    /// A detached binary signature of `data`.
    public func sign(_ data: Data) async throws -> Data {
        let file = home + "/to-sign-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: file))
        try await Shell.run(["gpg", "--batch", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", "", "--detach-sign", "-o", file + ".sig", file])
        return try Data(contentsOf: URL(fileURLWithPath: file + ".sig"))
    }

    /// Stops the key's GnuPG agent and removes its home.
    public func remove() async {
        _ = try? await Shell.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"])
        try? FileManager.default.removeItem(atPath: home)
    }
}

extension FixtureRegistry {
    /// Serves `/.well-known/terraform.json` naming `/v1/providers/` and `/v1/modules/`.
    public func publishTerraformDiscovery() {
        set("/.well-known/terraform.json", body: ByteBuffer(string: #"{"providers.v1": "/v1/providers/", "modules.v1": "/v1/modules/"}"#), contentType: "application/json")
    }

    /// Publishes provider `<namespace>/<type>` at `version` for `platforms` (`linux_amd64`, …) in
    /// the provider registry protocol: a zip per platform holding a `terraform-provider-<type>_v<version>`
    /// program, `SHA256SUMS` signed with `key` (or `signer` when given, while only `key` is
    /// published), and the versions and download documents. Returns the zips by platform.
    @discardableResult
    public func publishTerraformProvider(
        namespace: String, type: String, version: String, platforms: [String], key: FixtureSigningKey, signer: FixtureSigningKey? = nil
    ) async throws -> [String: PackageFile] {
        var zips: [String: PackageFile] = [:]
        var sums = ""
        for platform in platforms {
            var zip = ZipWriter()
            zip.add("terraform-provider-\(type)_v\(version)", Data("#!/bin/sh\necho 'provider \(type) \(version) for \(platform)'\n".utf8))
            let file = PackageFile(filename: "terraform-provider-\(type)_\(version)_\(platform).zip", data: zip.finish())
            zips[platform] = file
            sums += "\(file.sha256)  \(file.filename)\n"
        }
        let base = "/v1/providers/\(namespace)/\(type)"
        let releases = "/releases/\(type)/\(version)"
        let sumsName = "terraform-provider-\(type)_\(version)_SHA256SUMS"
        set("\(releases)/\(sumsName)", body: ByteBuffer(string: sums), contentType: "text/plain")
        set("\(releases)/\(sumsName).sig", body: ByteBuffer(data: try await (signer ?? key).sign(Data(sums.utf8))))
        let platformList = platforms.map { platform -> [String: String] in
            let parts = platform.split(separator: "_")
            return ["os": String(parts[0]), "arch": String(parts[1])]
        }
        let versions: [String: Any] = ["versions": [["version": version, "protocols": ["5.0"], "platforms": platformList]]]
        set("\(base)/versions", body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: versions)), contentType: "application/json")
        for (platform, file) in zips {
            let parts = platform.split(separator: "_")
            set("\(releases)/\(file.filename)", body: ByteBuffer(data: file.data), contentType: "application/zip")
            let download: [String: Any] = [
                "protocols": ["5.0"], "os": String(parts[0]), "arch": String(parts[1]), "filename": file.filename,
                "download_url": "\(url)\(releases)/\(file.filename)",
                "shasums_url": "\(url)\(releases)/\(sumsName)",
                "shasums_signature_url": "\(releases)/\(sumsName).sig",
                "shasum": file.sha256,
                "signing_keys": ["gpg_public_keys": [["key_id": "FIXTURE", "ascii_armor": key.armoredPublicKey]]],
            ]
            set("\(base)/\(version)/download/\(parts[0])/\(parts[1])", body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: download)), contentType: "application/json")
        }
        return zips
    }

    /// Publishes module `<namespace>/<name>/<system>` at `version` in the module registry
    /// protocol: its version list, and a download answer (`204`) whose `X-Terraform-Get` is
    /// `source` (by default the archive's URL here).
    public func publishTerraformModule(namespace: String, name: String, system: String, version: String, archive: PackageFile, source: String? = nil) {
        let path = "/v1/modules/\(namespace)/\(name)/\(system)"
        set("/archives/\(archive.filename)", body: ByteBuffer(data: archive.data), contentType: "application/gzip")
        set("\(path)/versions", body: ByteBuffer(string: #"{"modules": [{"versions": [{"version": "\#(version)"}]}]}"#), contentType: "application/json")
        set("\(path)/\(version)/download", Resource(status: 204, body: ByteBuffer(), headers: [("X-Terraform-Get", source ?? "\(url)/archives/\(archive.filename)")]))
    }
}
