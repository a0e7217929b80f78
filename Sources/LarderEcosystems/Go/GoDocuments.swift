import Foundation
public import LarderCore
public import NIOCore
import NIOFoundationCompat

/// The module proxy's documents: `@v/list` (versions, one per line) and `.info`/`@latest`
/// (JSON with a `Version`).
public enum GoDocuments {
    /// The versions a `@v/list` answer lists. Every line's first field must look like a
    /// version (`v1.2.3`, `v0.0.0-2024…`), so an HTML page is not a list.
    public static func versions(_ body: ByteBuffer) throws(LarderError) -> [String] {
        var versions: [String] = []
        for line in String(decoding: body.readableBytesView, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let first = line.split(separator: " ").first, first.hasPrefix("v"), first.count <= 200,
                first.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "/" && $0 != "<" })
            else {
                throw LarderError(.upstreamFailed, "the module proxy's version list holds a line that is not a version")
            }
            versions.append(String(first))
        }
        return versions
    }

    /// The version list without the versions `allowed` refuses.
    public static func filteredVersions(_ body: ByteBuffer, allowed: VersionFilter) throws(LarderError) -> ByteBuffer {
        ByteBuffer(string: try versions(body).filter(allowed.allows).map { $0 + "\n" }.joined())
    }

    /// The `Version` of an `.info` or `@latest` answer.
    public static func info(_ body: ByteBuffer) throws(LarderError) -> String {
        try dated(body).version
    }

    /// The `Version` of an `.info` or `@latest` answer with its `Time` (RFC 3339; nil when
    /// missing or malformed: the version is then undated).
    public static func dated(_ body: ByteBuffer) throws(LarderError) -> VersionDate {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any], let version = object["Version"] as? String, !version.isEmpty else {
            throw LarderError(.upstreamFailed, "the module proxy's answer is not a version's info (JSON with a Version)")
        }
        return VersionDate(version, published: (object["Time"] as? String).flatMap(RFC3339.date))
    }

    /// Whether `version` is a canonical module version (`v1.2.3`, a pre-release or
    /// pseudo-version, `+incompatible`) rather than a query a proxy resolves (`master`, a
    /// commit hash).
    public static func isCanonical(_ version: String) -> Bool {
        version.hasPrefix("v") && NpmSemver.Version(String(version.dropFirst())) != nil
    }
}
