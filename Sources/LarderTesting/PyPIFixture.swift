public import Foundation
import NIOCore

/// How a fixture PyPI project page is written.
public enum SimplePageFormat: Sendable {
    /// PEP 503 HTML with relative file links.
    case html
    /// PEP 691 JSON with absolute file links.
    case json
}

extension FixtureRegistry {
    /// The fixture's simple index URL, to configure as Larder's PyPI upstream.
    public var pypiIndexURL: String { "\(url)/simple" }

    /// Publishes a PyPI project: its files at `/files/<file>` (wheels with their PEP 658
    /// `.metadata`), its page at `/simple/<project>/`, and the project in `/simple/`.
    /// `uploaded` gives files (by name) an `upload-time` (PEP 700, JSON pages only).
    public func publishPyPI(project: String, files: [PackageFile], format: SimplePageFormat = .html, requiresPython: String? = nil, yanked: Set<String> = [], uploaded: [String: Date] = [:]) {
        for file in files {
            set("/files/\(file.filename)", body: ByteBuffer(bytes: file.data))
            if let metadata = file.coreMetadata { set("/files/\(file.filename).metadata", body: ByteBuffer(bytes: metadata), contentType: "text/plain") }
        }
        let normalized = project.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: ".", with: "-")
        let page: String
        let type: String
        switch format {
        case .html:
            type = "text/html"
            var html = "<!DOCTYPE html><html><body><h1>Links for \(project)</h1>\n"
            for file in files {
                var attributes = ""
                if let requiresPython { attributes += " data-requires-python=\"\(requiresPython.replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "<", with: "&lt;"))\"" }
                if yanked.contains(file.filename) { attributes += " data-yanked=\"broken\"" }
                if let metadata = file.coreMetadata { attributes += " data-core-metadata=\"sha256=\(PackageFile(filename: "", data: metadata).sha256)\"" }
                html += "<a href=\"../../files/\(file.filename)#sha256=\(file.sha256)\"\(attributes)>\(file.filename)</a><br/>\n"
            }
            page = html + "</body></html>\n"
        case .json:
            type = "application/vnd.pypi.simple.v1+json"
            let entries: [[String: Any]] = files.map { file in
                var entry: [String: Any] = ["filename": file.filename, "url": "\(url)/files/\(file.filename)", "hashes": ["sha256": file.sha256], "size": file.data.count]
                if let requiresPython { entry["requires-python"] = requiresPython }
                if yanked.contains(file.filename) { entry["yanked"] = "broken" }
                if let time = uploaded[file.filename] { entry["upload-time"] = ISO8601DateFormatter().string(from: time) }
                if let metadata = file.coreMetadata { entry["core-metadata"] = ["sha256": PackageFile(filename: "", data: metadata).sha256] }
                return entry
            }
            let root: [String: Any] = ["meta": ["api-version": "1.0"], "name": normalized, "files": entries]
            page = String(decoding: try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }
        set("/simple/\(normalized)/", body: ByteBuffer(string: page), contentType: type, etag: "\"\(PackageFile(filename: "", data: Data(page.utf8)).sha256.prefix(16))\"")
        state.pypiProjects.withLock { _ = $0.insert(normalized) }
        let index = "<!DOCTYPE html><html><body>\n" + state.pypiProjects.withLock { $0.sorted() }.map { "<a href=\"\($0)/\">\($0)</a><br/>\n" }.joined() + "</body></html>\n"
        set("/simple/", body: ByteBuffer(string: index), contentType: "text/html")
    }
}
