import Foundation
import LarderCore
import NIOCore
import NIOFoundationCompat

/// A sparse registry's `config.json`: `dl` (where `.crate` files are), `api` (the web API) and
/// any other keys, which are kept.
struct CargoConfig {
    private var object: [String: Any]
    /// The download location or template.
    let download: String

    /// Parses `body`; a document without a `dl` string is not a registry configuration.
    init(_ body: ByteBuffer) throws(LarderError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any],
            let download = object["dl"] as? String, !download.isEmpty
        else {
            throw LarderError(.upstreamFailed, "the registry's config.json is not a Cargo registry configuration (a JSON object with a \"dl\" string)")
        }
        self.object = object
        self.download = download
    }

    /// `dl` made absolute against the document's own URL.
    func resolvedDownload(relativeTo documentURL: String) throws(LarderError) -> String {
        guard let base = URL(string: documentURL), let url = URL(string: download, relativeTo: base)?.absoluteString else {
            throw LarderError(.upstreamFailed, "the registry's config.json names '\(download.prefix(200))' as dl, which is not a URL")
        }
        // Markers are not URL characters: put them back as Cargo wrote them.
        return url.replacingOccurrences(of: "%7B", with: "{").replacingOccurrences(of: "%7D", with: "}")
    }

    /// The document with `dl` and (where the upstream has one) `api` replaced. The upstream's
    /// `auth-required` is dropped (Larder authenticates to its upstream itself); Larder's own
    /// is set when it refuses requests without a token, so Cargo sends its registry token.
    func rendered(download: String, api: String, authenticationRequired: Bool) throws -> ByteBuffer {
        var copy = object
        copy["dl"] = download
        if copy["api"] != nil { copy["api"] = api }
        copy["auth-required"] = authenticationRequired ? true : nil
        return ByteBuffer(data: try JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
