public import Foundation
public import LarderCore

/// A project page of the simple repository API (PEP 503 HTML or PEP 691 JSON), as one model.
public struct SimpleProject: Sendable, Equatable {
    /// The project's name as upstream gave it.
    public var name: String
    /// Its files.
    public var files: [SimpleFile]
    /// Its versions (PEP 700), when upstream lists them.
    public var versions: [String]?

    /// PEP 691's JSON media type.
    public static let jsonType = "application/vnd.pypi.simple.v1+json"
    /// PEP 691's HTML media type.
    public static let htmlType = "application/vnd.pypi.simple.v1+html"

    /// Creates a project page.
    public init(name: String, files: [SimpleFile], versions: [String]? = nil) {
        self.name = name
        self.files = files
        self.versions = versions
    }

    /// The file named `filename`.
    public func file(named filename: String) -> SimpleFile? { files.first { $0.filename == filename } }

    /// Each version the files name, with its publish time: the earliest `upload-time` of its
    /// files (PEP 700), nil when any of its files has none.
    public var versionDates: [VersionDate] {
        var earliest: [String: Date?] = [:]
        for file in files {
            guard let version = PyPIAdapter.version(of: file.filename) else { continue }
            let date = file.uploadTime.flatMap(RFC3339.date)
            if let known = earliest[version] {
                earliest[version] = known.flatMap { known in date.map { min(known, $0) } }
            } else {
                earliest[version] = .some(date)
            }
        }
        return earliest.map { VersionDate($0.key, published: $0.value) }
    }

    /// The page listing only the versions `allowed` lets through: files whose version (read
    /// from the file name) it refuses, or whose name gives no version, are left out.
    public func filtered(_ allowed: VersionFilter) -> SimpleProject {
        guard !allowed.allowsEverything else { return self }
        var page = self
        page.files = files.filter { file in PyPIAdapter.version(of: file.filename).map(allowed.allows) ?? false }
        page.versions = versions?.filter(allowed.allows)
        return page
    }

    /// What a miss needs of each file: its URL and strongest digest, and for files with PEP 658
    /// core metadata, the `.metadata` file beside it.
    public var links: [ArtifactLink] {
        files.flatMap { file -> [ArtifactLink] in
            var links = [ArtifactLink(name: file.filename, url: file.url, integrity: file.integrity)]
            if let hashes = file.coreMetadata {
                links.append(ArtifactLink(name: file.filename + ".metadata", url: file.url + ".metadata", integrity: Integrity.strongest(of: hashes)))
            }
            return links
        }
    }
}

/// One distribution file on a project page.
public struct SimpleFile: Sendable, Equatable {
    /// Whether and why a file is yanked (PEP 592).
    public enum Yanked: Sendable, Equatable {
        case no
        case yes(reason: String?)
    }

    /// The file name.
    public var filename: String
    /// The absolute upstream URL, without fragment.
    public var url: String
    /// Digests by algorithm name.
    public var hashes: [String: String]
    /// `Requires-Python`, if given.
    public var requiresPython: String?
    /// Yank status.
    public var yanked: Yanked = .no
    /// PEP 658/714 core metadata: nil when absent, otherwise its digests (possibly empty).
    public var coreMetadata: [String: String]?
    /// Whether a GPG signature exists.
    public var gpgSig: Bool?
    /// Size in bytes (PEP 700).
    public var size: Int64?
    /// Upload time (PEP 700).
    public var uploadTime: String?

    /// Creates a file entry.
    public init(filename: String, url: String, hashes: [String: String], requiresPython: String? = nil, yanked: Yanked = .no, coreMetadata: [String: String]? = nil, gpgSig: Bool? = nil, size: Int64? = nil, uploadTime: String? = nil) {
        self.filename = filename
        self.url = url
        self.hashes = hashes
        self.requiresPython = requiresPython
        self.yanked = yanked
        self.coreMetadata = coreMetadata
        self.gpgSig = gpgSig
        self.size = size
        self.uploadTime = uploadTime
    }

    /// The digest the file must have.
    public var integrity: Integrity? { Integrity.strongest(of: hashes) }
}

// MARK: Parsing

extension SimpleProject {
    /// Parses an upstream project page, JSON or HTML by its content type (sniffed when missing).
    /// Relative URLs resolve against `sourceURL`.
    public static func parse(_ body: Data, contentType: String?, sourceURL: String, fallbackName: String) throws -> SimpleProject {
        let type = contentType?.lowercased() ?? ""
        let looksJSON = type.contains("json") || (type.isEmpty && body.first == UInt8(ascii: "{"))
        return looksJSON
            ? try parseJSON(body, sourceURL: sourceURL, fallbackName: fallbackName)
            : parseHTML(String(decoding: body, as: UTF8.self), sourceURL: sourceURL, fallbackName: fallbackName)
    }

    static func parseJSON(_ body: Data, sourceURL: String, fallbackName: String) throws -> SimpleProject {
        guard let root = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw LarderError(.upstreamFailed, "upstream project page \(sourceURL) is not a JSON object")
        }
        let base = URL(string: sourceURL)
        let files: [SimpleFile] = (root["files"] as? [[String: Any]] ?? []).compactMap { f in
            guard let filename = f["filename"] as? String, let href = f["url"] as? String else { return nil }
            let (url, _) = resolve(href, against: base)
            var file = SimpleFile(filename: filename, url: url, hashes: (f["hashes"] as? [String: String]) ?? [:])
            file.requiresPython = f["requires-python"] as? String
            if let reason = f["yanked"] as? String {
                file.yanked = .yes(reason: reason.isEmpty ? nil : reason)
            } else if let flag = f["yanked"] as? Bool, flag {
                file.yanked = .yes(reason: nil)
            }
            file.coreMetadata = metadataHashes(f["core-metadata"] ?? f["dist-info-metadata"])
            file.gpgSig = f["gpg-sig"] as? Bool
            file.size = (f["size"] as? NSNumber)?.int64Value
            file.uploadTime = f["upload-time"] as? String
            return file
        }
        return SimpleProject(name: root["name"] as? String ?? fallbackName, files: files, versions: root["versions"] as? [String])
    }

    private static func metadataHashes(_ value: Any?) -> [String: String]? {
        if let hashes = value as? [String: String] { return hashes }
        if let flag = value as? Bool, flag { return [:] }
        return nil
    }

    static func parseHTML(_ html: String, sourceURL: String, fallbackName: String) -> SimpleProject {
        let base = URL(string: sourceURL)
        let files: [SimpleFile] = HTMLAnchor.all(in: html).compactMap { a in
            guard let href = a.attributes["href"], !a.text.isEmpty else { return nil }
            let (url, fragment) = resolve(href, against: base)
            var file = SimpleFile(filename: a.text, url: url, hashes: fragmentHashes(fragment))
            if let rp = a.attributes["data-requires-python"], !rp.isEmpty { file.requiresPython = rp }
            if let reason = a.attributes["data-yanked"] { file.yanked = .yes(reason: reason.isEmpty ? nil : reason) }
            if let meta = a.attributes["data-core-metadata"] ?? a.attributes["data-dist-info-metadata"] {
                file.coreMetadata = meta == "true" || meta.isEmpty ? [:] : fragmentHashes(meta)
            }
            if let sig = a.attributes["data-gpg-sig"] { file.gpgSig = sig == "true" }
            return file
        }
        return SimpleProject(name: fallbackName, files: files)
    }

    /// `name=hex` (a URL fragment or a metadata attribute) as a hash map.
    static func fragmentHashes(_ fragment: String?) -> [String: String] {
        guard let fragment, let eq = fragment.firstIndex(of: "=") else { return [:] }
        return [String(fragment[..<eq]).lowercased(): String(fragment[fragment.index(after: eq)...])]
    }

    /// An absolute URL without fragment, and the fragment.
    static func resolve(_ href: String, against base: URL?) -> (String, String?) {
        var link = href
        var fragment: String?
        if let hash = link.firstIndex(of: "#") {
            fragment = String(link[link.index(after: hash)...])
            link = String(link[..<hash])
        }
        let absolute = URL(string: link, relativeTo: base)?.absoluteString ?? link
        return (absolute, fragment)
    }
}

// MARK: Rendering

extension SimpleProject {
    /// The PEP 503 HTML page, with each file linked at `fileURL(file)`.
    public func html(fileURL: (SimpleFile) -> String) -> String {
        var out = "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.0\">\n"
        out += "<title>Links for \(HTMLText.escape(name))</title>\n</head>\n<body>\n<h1>Links for \(HTMLText.escape(name))</h1>\n"
        for file in files {
            var href = fileURL(file)
            if let integrity = file.integrity { href += "#\(integrity.algorithm.rawValue)=\(integrity.hex)" }
            out += "<a href=\"\(HTMLText.escape(href))\""
            if let rp = file.requiresPython { out += " data-requires-python=\"\(HTMLText.escape(rp))\"" }
            if case .yes(let reason) = file.yanked { out += " data-yanked=\"\(HTMLText.escape(reason ?? ""))\"" }
            if let meta = file.coreMetadata {
                let value = Integrity.strongest(of: meta).map { "\($0.algorithm.rawValue)=\($0.hex)" } ?? "true"
                out += " data-core-metadata=\"\(value)\" data-dist-info-metadata=\"\(value)\""
            }
            if let sig = file.gpgSig { out += " data-gpg-sig=\"\(sig)\"" }
            out += ">\(HTMLText.escape(file.filename))</a><br/>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// The PEP 691 JSON page, with each file linked at `fileURL(file)`.
    public func json(fileURL: (SimpleFile) -> String) throws -> Data {
        let hasV11 = versions != nil && files.allSatisfy { $0.size != nil }
        var root: [String: Any] = ["meta": ["api-version": hasV11 ? "1.1" : "1.0"], "name": name]
        root["files"] = files.map { file -> [String: Any] in
            var f: [String: Any] = ["filename": file.filename, "url": fileURL(file), "hashes": file.hashes]
            if let rp = file.requiresPython { f["requires-python"] = rp }
            switch file.yanked {
            case .no: f["yanked"] = false
            case .yes(let reason): f["yanked"] = reason.map { $0 as Any } ?? true
            }
            if let meta = file.coreMetadata {
                let value: Any = meta.isEmpty ? true : meta
                f["core-metadata"] = value
                f["dist-info-metadata"] = value
            }
            if let sig = file.gpgSig { f["gpg-sig"] = sig }
            if let size = file.size { f["size"] = size }
            if let uploadTime = file.uploadTime { f["upload-time"] = uploadTime }
            return f
        }
        if let versions { root["versions"] = versions }
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
