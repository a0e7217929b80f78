public import Foundation
import LarderCore

/// The root page of the simple repository API: the list of projects.
public struct SimpleIndex: Sendable, Equatable {
    /// Project names as upstream gave them.
    public var projects: [String]

    /// Parses an upstream root page, JSON or HTML.
    public static func parse(_ body: Data, contentType: String?) throws -> SimpleIndex {
        if contentType?.lowercased().contains("json") == true {
            guard let root = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw LarderError(.upstreamFailed, "upstream simple index is not a JSON object")
            }
            return SimpleIndex(projects: (root["projects"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        }
        return SimpleIndex(projects: HTMLAnchor.all(in: String(decoding: body, as: UTF8.self)).map(\.text).filter { !$0.isEmpty })
    }

    /// PEP 503 HTML, each project linked at `projectURL(normalisedName)`.
    public func html(projectURL: (String) -> String) -> String {
        var out = "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.0\">\n<title>Simple index</title>\n</head>\n<body>\n"
        for name in projects {
            out += "<a href=\"\(HTMLText.escape(projectURL(PyPIName.normalize(name))))\">\(HTMLText.escape(name))</a><br/>\n"
        }
        return out + "</body>\n</html>\n"
    }

    /// PEP 691 JSON.
    public func json() throws -> Data {
        let root: [String: Any] = ["meta": ["api-version": "1.0"], "projects": projects.map { ["name": $0] }]
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
