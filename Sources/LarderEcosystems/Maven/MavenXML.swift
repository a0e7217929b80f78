import Foundation
import LarderCore
import NIOCore

/// The few facts Larder reads from Maven XML: the versions a `maven-metadata.xml` lists and the
/// parent a POM names. A small reader of element text, not a general XML parser: comments and
/// CDATA are skipped, documents are bounded, and malformed input yields nothing rather than a
/// crash.
enum MavenXML {
    /// The largest document read.
    static let maxSize = 8 << 20

    /// Checks that an upstream answer is a `maven-metadata.xml`: an XML document whose root is
    /// `<metadata>` (an HTML error page is not).
    static func validateMetadata(_ body: ByteBuffer) throws {
        guard body.readableBytes <= maxSize else { throw LarderError(.upstreamFailed, "it is larger than \(maxSize) bytes") }
        var text = strip(String(decoding: body.readableBytesView, as: UTF8.self))[...]
        while true {
            text = text.drop { $0.isWhitespace }
            if text.hasPrefix("<?"), let end = text.range(of: "?>") {
                text = text[end.upperBound...]
            } else {
                break
            }
        }
        guard text.hasPrefix("<metadata"), text.contains("</metadata>") || text.hasPrefix("<metadata/>") else {
            throw LarderError(.upstreamFailed, "repository metadata is an XML document whose root is <metadata>")
        }
    }

    /// A `maven-metadata.xml` without the `<version>` entries `allowed` refuses, and with
    /// `<latest>` and `<release>` moved to the newest version left (a release for `<release>`),
    /// or removed when none is. The rest of the text is kept as it is.
    static func filteredMetadata(_ text: String, allowed: VersionFilter) -> String {
        guard !allowed.allowsEverything else { return text }
        let kept = versions(inMetadata: text).filter(allowed.allows).map(MavenVersion.init).sorted()
        var out = replacing(#"<version>\s*([^<]*?)\s*</version>\s*"#, in: text) { version in allowed.allows(version) ? nil : "" }
        let newest = kept.last?.text
        let newestRelease = kept.last { !$0.text.uppercased().hasSuffix("-SNAPSHOT") }?.text
        out = replacing(#"<latest>\s*([^<]*?)\s*</latest>"#, in: out) { version in
            allowed.allows(version) ? nil : newest.map { "<latest>\($0)</latest>" } ?? ""
        }
        out = replacing(#"<release>\s*([^<]*?)\s*</release>"#, in: out) { version in
            allowed.allows(version) ? nil : newestRelease.map { "<release>\($0)</release>" } ?? ""
        }
        return out
    }

    /// `text` with each match of `pattern` replaced by what `replacement` says for its first
    /// group (nil: the match stays).
    private static func replacing(_ pattern: String, in text: String, _ replacement: (String) -> String?) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return text }
        let source = text as NSString
        var out = ""
        var position = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            out += source.substring(with: NSRange(location: position, length: match.range.location - position))
            let group = source.substring(with: match.range(at: 1))
            out += replacement(group) ?? source.substring(with: match.range)
            position = match.range.location + match.range.length
        }
        return out + source.substring(from: position)
    }

    /// `<versioning><versions><version>…` of a `maven-metadata.xml`.
    static func versions(inMetadata text: String) -> [String] {
        guard text.utf8.count <= maxSize, let versions = element("versions", in: strip(text)) else { return [] }
        return elements("version", in: versions).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The `<parent>` coordinates of a POM, when it names one with literal values.
    static func parent(inPOM text: String) -> (group: String, artifact: String, version: String)? {
        guard text.utf8.count <= maxSize, let parent = element("parent", in: strip(text)) else { return nil }
        func value(_ name: String) -> String? {
            guard let v = element(name, in: parent)?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty, !v.contains("${") else { return nil }
            return v
        }
        guard let group = value("groupId"), let artifact = value("artifactId"), let version = value("version") else { return nil }
        return (group, artifact, version)
    }

    /// `text` without comments and CDATA sections.
    private static func strip(_ text: String) -> String {
        var out = text
        for (open, close) in [("<!--", "-->"), ("<![CDATA[", "]]>")] {
            while let start = out.range(of: open) {
                guard let end = out.range(of: close, range: start.upperBound..<out.endIndex) else {
                    out.removeSubrange(start.lowerBound...)
                    break
                }
                out.removeSubrange(start.lowerBound..<end.upperBound)
            }
        }
        return out
    }

    /// The content of the first `<name>` element at any depth.
    private static func element(_ name: String, in text: String) -> String? {
        elements(name, in: text).first
    }

    /// The contents of the `<name>` elements, in order (not nested in one another).
    private static func elements(_ name: String, in text: String) -> [String] {
        var found: [String] = []
        var cursor = text.startIndex
        while found.count < 100_000, let open = text.range(of: "<\(name)", range: cursor..<text.endIndex) {
            guard let tagEnd = text[open.upperBound...].firstIndex(of: ">") else { break }
            let between = text[open.upperBound..<tagEnd]
            guard between.isEmpty || between.first == " " || between.first == "\t" || between.first == "\n" || between == "/" else {
                cursor = open.upperBound
                continue
            }
            if between.hasSuffix("/") {
                found.append("")
                cursor = text.index(after: tagEnd)
                continue
            }
            let contentStart = text.index(after: tagEnd)
            guard let close = text.range(of: "</\(name)>", range: contentStart..<text.endIndex) else { break }
            found.append(String(text[contentStart..<close.lowerBound]))
            cursor = close.upperBound
        }
        return found
    }
}

/// Maven coordinates and the repository paths of their files.
struct MavenCoordinates: Sendable, Hashable {
    var group: String
    var artifact: String
    var version: String

    /// `org/example/lib/1.0`.
    var directory: [String] { group.split(separator: ".").map(String.init) + [artifact, version] }

    /// The file `artifact-version[-classifier].extension`.
    func file(classifier: String? = nil, extension ext: String) -> MavenPath {
        let name = "\(artifact)-\(version)" + (classifier.map { "-\($0)" } ?? "") + ".\(ext)"
        return MavenPath(segments: directory + [name])
    }

    /// `org/example/lib/maven-metadata.xml`.
    static func metadata(group: String, artifact: String) -> MavenPath {
        MavenPath(segments: group.split(separator: ".").map(String.init) + [artifact, "maven-metadata.xml"])
    }

    /// The classifier and extension of the main file for a POM packaging or dependency type
    /// (Maven's artifact handlers); nil for `pom`, which has only the POM.
    static func mainFile(type: String?, classifier: String?) -> (classifier: String?, extension: String)? {
        switch type ?? "jar" {
        case "pom": return nil
        case "jar", "maven-plugin", "ejb", "bundle": return (classifier, "jar")
        case "java-source": return (classifier ?? "sources", "jar")
        case "javadoc": return (classifier ?? "javadoc", "jar")
        case "test-jar": return (classifier ?? "tests", "jar")
        case "ejb-client": return (classifier ?? "client", "jar")
        default: return (classifier, type!)
        }
    }
}
