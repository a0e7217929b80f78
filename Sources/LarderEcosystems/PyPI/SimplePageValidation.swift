import Foundation
import LarderCore
import NIOCore

/// Whether an upstream answer is a simple repository page at all: an index that sits behind a
/// login or a captive portal answers 200 with an HTML page of its own, which must not replace a
/// good stored page.
enum SimplePageValidation {
    /// File name endings of distributions (PEP 503 pages link nothing else).
    static let distributionSuffixes = [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".egg", ".exe", ".msi", ".rpm", ".dmg", ".metadata"]

    /// A project page: PEP 691 JSON with a `files` list, or HTML without forms whose links, if
    /// any, include distribution files.
    static func projectPage(_ body: ByteBuffer, contentType: String?) throws {
        try page(body, contentType: contentType, listKey: "files") { text in
            let lower = text.lowercased()
            return distributionSuffixes.contains { lower.hasSuffix($0) }
        }
    }

    /// The root index: PEP 691 JSON with a `projects` list, or HTML without forms.
    static func indexPage(_ body: ByteBuffer, contentType: String?) throws {
        try page(body, contentType: contentType, listKey: "projects") { _ in true }
    }

    private static func page(_ body: ByteBuffer, contentType: String?, listKey: String, linkLooksRight: (String) -> Bool) throws {
        let type = contentType?.lowercased() ?? ""
        let data = Data(body.readableBytesView)
        if type.contains("json") || (type.isEmpty && data.first == UInt8(ascii: "{")) {
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], root[listKey] is [Any] else {
                throw LarderError(.upstreamFailed, "a PEP 691 page is a JSON object with a \(listKey) list")
            }
            return
        }
        guard type.isEmpty || type.contains("html") else {
            throw LarderError(.upstreamFailed, "a simple repository page is HTML or PEP 691 JSON, not \(type)")
        }
        let html = String(decoding: data, as: UTF8.self)
        let lower = html.lowercased()
        if lower.contains("<form") || lower.contains("type=\"password\"") || lower.contains("type='password'") {
            throw LarderError(.upstreamFailed, "it holds a form, as a login or error page does")
        }
        let anchors = HTMLAnchor.all(in: html)
        if !anchors.isEmpty, !anchors.contains(where: { linkLooksRight($0.text) }) {
            throw LarderError(.upstreamFailed, "none of its \(anchors.count) links names a distribution file")
        }
    }
}
