import Foundation
import LarderCore
import NIOCore
import NIOFoundationCompat

/// The documents of Terraform's registry protocols that Larder reads.
enum TerraformDocuments {
    /// `/.well-known/terraform.json`: service names to base URLs.
    static func services(_ body: ByteBuffer) throws -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw LarderError(.upstreamFailed, "its service discovery document is not a JSON object")
        }
        return object.compactMapValues { $0 as? String }
    }

    /// A provider's `versions` answer.
    struct ProviderVersions: Decodable {
        struct Version: Decodable {
            var version: String
            var protocols: [String]?
            var platforms: [Platform]?
        }
        struct Platform: Decodable, Hashable {
            var os: String
            var arch: String
            var key: String { "\(os)_\(arch)" }
        }
        var versions: [Version]
    }

    /// A provider's `download` answer for one version and platform.
    struct ProviderDownload: Decodable {
        struct SigningKeys: Decodable {
            struct Key: Decodable {
                var key_id: String?
                var ascii_armor: String
            }
            var gpg_public_keys: [Key]?
        }
        var filename: String
        var download_url: String
        var shasums_url: String
        var shasums_signature_url: String
        var shasum: String
        var signing_keys: SigningKeys?
    }

    /// A module's `versions` answer: `{"modules": [{"versions": [{"version": …}]}]}`.
    struct ModuleVersions: Decodable {
        struct Module: Decodable {
            struct Version: Decodable { var version: String }
            var versions: [Version]
        }
        var modules: [Module]
    }

    /// A module version list (`{"modules": [{"versions": [{"version": …}]}]}`) without the
    /// versions `allowed` refuses; everything else kept.
    static func filteredModuleVersions(_ body: ByteBuffer, allowed: VersionFilter) throws -> ByteBuffer {
        guard var root = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any], let modules = root["modules"] as? [[String: Any]] else {
            throw LarderError(.upstreamFailed, "the stored module version list is not a JSON object with modules")
        }
        root["modules"] = modules.map { module -> [String: Any] in
            var module = module
            module["versions"] = (module["versions"] as? [[String: Any]] ?? []).filter { ($0["version"] as? String).map(allowed.allows) ?? false }
            return module
        }
        return ByteBuffer(data: try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Decodes `T` from `body`, or throws saying the upstream's answer is not `what`.
    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw LarderError(.upstreamFailed, "it is not \(what) (\(String("\(error)".prefix(200))))")
        }
    }

    /// `SHA256SUMS`: lines of `<hex>  <filename>`; filename to lower-case hex.
    static func sha256Sums(_ text: String) throws -> [String: String] {
        var sums: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let integrity = Integrity(algorithm: .sha256, hex: String(parts[0])) else {
                throw LarderError(.upstreamFailed, "its SHA256SUMS has a line that is not '<sha256>  <filename>'")
            }
            var name = parts[1].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("*") { name.removeFirst() }  // binary-mode marker
            sums[name] = integrity.hex
        }
        return sums
    }
}
