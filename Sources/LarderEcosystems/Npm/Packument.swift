public import Foundation
public import NIOCore
import NIOFoundationCompat
public import LarderCore

/// An npm package document ("packument"), full or abbreviated, read and rewritten as a stream
/// of JSON tokens (`JSONScanner`) rather than parsed into a tree: real documents reach 100 MB
/// (9,000 versions), and a parsed tree of one costs about ten times that in memory and seconds
/// of CPU. Every reading checks the whole document's syntax.
public struct Packument: Sendable {
    /// The abbreviated form's media type.
    public static let abbreviatedType = "application/vnd.npm.install-v1+json"

    /// The document's bytes.
    public let body: ByteBuffer
    /// Where it came from, for error messages.
    public let source: String

    /// A document over `body` (not read until asked).
    public init(_ body: ByteBuffer, source: String) {
        self.body = body
        self.source = source
    }

    /// One version's tarball as the document describes it.
    public struct Tarball: Sendable, Equatable {
        /// The tarball's file name (the URL's last segment, decoded).
        public var filename: String
        /// Its upstream URL.
        public var url: String
        /// The strongest digest promised for it (`dist.integrity`, else `dist.shasum`).
        public var integrity: Integrity?
    }

    /// One version of the package.
    public struct Release: Sendable {
        /// The version.
        public var version: String
        /// Whether it is deprecated.
        public var deprecated: Bool
        /// Its tarball, when the version lists one.
        public var tarball: Tarball?
        /// The tarball's size (`dist.size`), when given.
        public var size: Int64?
    }

    // MARK: Reading

    /// Checks that the document is the package document of `name`: valid JSON, an object
    /// naming that package (not another one a redirect led to, not an error page) with its
    /// versions.
    public func validate(name: String) throws {
        var named: String?
        var hasVersions = false
        try scan { s in
            var top = try s.beginObject()
            while let key = try s.nextMember(&top) {
                switch key {
                case "name": named = try s.stringValue()
                case "versions":
                    hasVersions = s.atObject()
                    try s.skipValue()
                default: try s.skipValue()
                }
            }
        }
        guard named == name else {
            throw LarderError(.upstreamFailed, "it describes package '\(named?.prefix(200) ?? "none")', not '\(name)'")
        }
        guard hasVersions else { throw LarderError(.upstreamFailed, "it lists no versions") }
    }

    /// Every version, in the document's order.
    public func releases() throws -> [Release] {
        var releases: [Release] = []
        try scan { s in
            var top = try s.beginObject()
            while let key = try s.nextMember(&top) {
                guard key == "versions", s.atObject() else {
                    try s.skipValue()
                    continue
                }
                var versions = try s.beginObject()
                while let version = try s.nextMember(&versions) {
                    guard s.atObject() else {
                        try s.skipValue()
                        continue
                    }
                    releases.append(try Self.release(version, &s))
                }
            }
        }
        return releases
    }

    /// Every version with its publish time from `time` (nil where `time` has none, as in
    /// abbreviated documents).
    public func versionDates() throws -> [VersionDate] {
        var versions: [String] = []
        var times: [String: Date] = [:]
        try scan { s in
            var top = try s.beginObject()
            while let key = try s.nextMember(&top) {
                if key == "versions", s.atObject() {
                    var entries = try s.beginObject()
                    while let version = try s.nextMember(&entries) {
                        if s.atObject() { versions.append(version) }
                        try s.skipValue()
                    }
                } else if key == "time", s.atObject() {
                    var time = try s.beginObject()
                    while let field = try s.nextMember(&time) {
                        if let text = try s.stringValue(), let date = RFC3339.date(text) { times[field] = date }
                    }
                } else {
                    try s.skipValue()
                }
            }
        }
        return versions.map { VersionDate($0, published: times[$0]) }
    }

    /// The tarball whose file name is `filename`: its upstream URL and promised digest.
    public func tarball(named filename: String) throws -> Tarball? {
        try releases().lazy.compactMap(\.tarball).first { $0.filename == filename }
    }

    /// A version's document, by version or dist-tag, with its tarball pointed at `tarballBase`.
    public func version(_ spec: String, tarballBase: String) throws -> Data? {
        var found: Range<Int>?
        var tags: Range<Int>?
        func find(_ wanted: String) throws {
            try scan { s in
                var top = try s.beginObject()
                while let key = try s.nextMember(&top) {
                    if key == "dist-tags" {
                        tags = try s.skipValue()
                        continue
                    }
                    guard key == "versions", s.atObject() else {
                        try s.skipValue()
                        continue
                    }
                    var versions = try s.beginObject()
                    while let version = try s.nextMember(&versions) {
                        let range = try s.skipValue()
                        if version == wanted { found = range }
                    }
                }
            }
        }
        try find(spec)
        if found == nil, let tags, let tagged = (try JSONSerialization.jsonObject(with: bytes(tags)) as? [String: Any])?[spec] as? String {
            try find(tagged)
        }
        guard let found, var doc = try JSONSerialization.jsonObject(with: bytes(found)) as? [String: Any] else { return nil }
        if var dist = doc["dist"] as? [String: Any], let url = dist["tarball"] as? String {
            dist["tarball"] = tarballBase + Self.filename(of: url)
            doc["dist"] = dist
        }
        return try JSONSerialization.data(withJSONObject: doc, options: [.withoutEscapingSlashes])
    }

    // MARK: Rendering

    /// The document with every version's `dist.tarball` pointed at `tarballBase` + file name,
    /// everything else byte for byte as upstream sent it; `abbreviated` cuts it down to the
    /// abbreviated form (`application/vnd.npm.install-v1+json`): `name`, `modified`,
    /// `dist-tags` and, for each version, the fields installing needs, with `hasInstallScript`
    /// set when the version has an install, preinstall or postinstall script. An abbreviated
    /// document stays as it is.
    ///
    /// With `versions`, versions it does not allow are left out (from `versions` and `time`),
    /// and each `dist-tags` entry naming one moves to the newest allowed version (a stable one
    /// for a tag that named a stable version), or goes when none is allowed.
    public func rendered(tarballBase: String, abbreviated: Bool, versions allowed: VersionFilter = .everything) throws -> ByteBuffer {
        let listed = allowed.allowsEverything ? [] : try releases().map(\.version)
        let hidden = Set(listed.filter { !allowed.allows($0) })
        let tags = hidden.isEmpty ? nil : Self.retargetedTags(listed.filter { !hidden.contains($0) })
        var out = JSONOutput(capacity: abbreviated ? body.readableBytes / 8 : body.readableBytes + body.readableBytes / 16)
        try scan { s in
            var top = try s.beginObject()
            out.raw("{")
            var first = true
            var sawModified = false
            var timeModified: Range<Int>?
            while let key = try s.nextMember(&top) {
                if key == "versions", s.atObject() {
                    out.key(key, first: &first)
                    try Self.renderVersions(&s, into: &out, tarballBase: tarballBase, abbreviated: abbreviated, hidden: hidden)
                } else if key == "dist-tags", s.atObject(), let tags {
                    out.key(key, first: &first)
                    try Self.renderTags(&s, into: &out, hidden: hidden, retarget: tags)
                } else if key == "time", s.atObject(), !abbreviated, !hidden.isEmpty {
                    out.key(key, first: &first)
                    var time = try s.beginObject()
                    out.raw("{")
                    var firstTime = true
                    while let field = try s.nextMember(&time) {
                        let value = try s.skipValue()
                        guard !hidden.contains(field) else { continue }
                        out.key(field, first: &firstTime)
                        out.raw(s.slice(value))
                    }
                    out.raw("}")
                } else if !abbreviated || ["name", "dist-tags", "modified"].contains(key) {
                    if key == "modified" { sawModified = true }
                    out.key(key, first: &first)
                    out.raw(s.slice(try s.skipValue()))
                } else if key == "time", s.atObject() {
                    var time = try s.beginObject()
                    while let field = try s.nextMember(&time) {
                        let value = try s.skipValue()
                        if field == "modified" { timeModified = value }
                    }
                } else {
                    try s.skipValue()
                }
            }
            if abbreviated, !sawModified, let timeModified {
                out.key("modified", first: &first)
                out.raw(s.slice(timeModified))
            }
            out.raw("}")
        }
        return out.buffer
    }

    /// The fields of a version that the abbreviated form keeps: what installing needs
    /// (the npm registry's "abbreviated metadata format", plus `libc` and `funding` that
    /// current npm reads).
    static let abbreviatedVersionFields: Set<String> = [
        "name", "version", "dist", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
        "bundleDependencies", "bundledDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies",
        "bin", "directories", "engines", "cpu", "os", "libc", "funding", "_hasShrinkwrap", "hasInstallScript",
    ]

    /// The scripts that make a version's `hasInstallScript` true.
    static let installScripts: Set<String> = ["preinstall", "install", "postinstall"]

    /// Where tags naming a hidden version go: the newest allowed stable version (for tags that
    /// named a stable one) and the newest allowed version of any kind; by semver order, versions
    /// that are not semver last.
    private static func retargetedTags(_ allowed: [String]) -> (stable: String?, any: String?) {
        let parsed = allowed.compactMap { text in NpmSemver.Version(text).map { (text, $0) } }.sorted { $0.1 < $1.1 }
        return (parsed.last { $0.1.isStable }?.0, parsed.last?.0)
    }

    /// Copies `dist-tags`, moving tags that name a hidden version.
    private static func renderTags(_ s: inout JSONScanner, into out: inout JSONOutput, hidden: Set<String>, retarget: (stable: String?, any: String?)) throws {
        var tags = try s.beginObject()
        out.raw("{")
        var first = true
        while let tag = try s.nextMember(&tags) {
            guard let version = try s.stringValue() else { continue }
            var target: String? = version
            if hidden.contains(version) {
                target = NpmSemver.Version(version)?.isStable == false ? retarget.any : retarget.stable ?? retarget.any
            }
            guard let target else { continue }
            out.key(tag, first: &first)
            out.string(target)
        }
        out.raw("}")
    }

    private static func renderVersions(_ s: inout JSONScanner, into out: inout JSONOutput, tarballBase: String, abbreviated: Bool, hidden: Set<String>) throws {
        var versions = try s.beginObject()
        out.raw("{")
        var firstVersion = true
        while let version = try s.nextMember(&versions) {
            if hidden.contains(version) {
                try s.skipValue()
                continue
            }
            guard s.atObject() else {
                // Not a version document: kept as it is in the full form, dropped from the abbreviated one.
                let value = try s.skipValue()
                if !abbreviated {
                    out.key(version, first: &firstVersion)
                    out.raw(s.slice(value))
                }
                continue
            }
            out.key(version, first: &firstVersion)
            var doc = try s.beginObject()
            out.raw("{")
            var first = true
            var installs = false
            var flagged = false
            while let field = try s.nextMember(&doc) {
                if abbreviated, field == "scripts", s.atObject() {
                    var scripts = try s.beginObject()
                    while let script = try s.nextMember(&scripts) {
                        try s.skipValue()
                        if installScripts.contains(script) { installs = true }
                    }
                    continue
                }
                if abbreviated, !abbreviatedVersionFields.contains(field) {
                    try s.skipValue()
                    continue
                }
                if field == "hasInstallScript" { flagged = true }
                out.key(field, first: &first)
                guard field == "dist", s.atObject() else {
                    out.raw(s.slice(try s.skipValue()))
                    continue
                }
                var dist = try s.beginObject()
                out.raw("{")
                var firstDist = true
                while let name = try s.nextMember(&dist) {
                    out.key(name, first: &firstDist)
                    if name == "tarball", let url = try s.stringValue() {
                        out.string(tarballBase + filename(of: url))
                    } else if name == "tarball" {
                        out.raw("null")
                    } else {
                        out.raw(s.slice(try s.skipValue()))
                    }
                }
                out.raw("}")
            }
            if installs, !flagged {
                out.key("hasInstallScript", first: &first)
                out.raw("true")
            }
            out.raw("}")
        }
        out.raw("}")
    }

    // MARK: Helpers

    /// Reads one version's document (the scanner is at its opening brace).
    private static func release(_ version: String, _ s: inout JSONScanner) throws -> Release {
        var release = Release(version: version, deprecated: false)
        var url: String?
        var sri: String?
        var shasum: String?
        var doc = try s.beginObject()
        while let field = try s.nextMember(&doc) {
            switch field {
            case "deprecated":
                release.deprecated = try s.stringValue() != nil
            case "dist" where s.atObject():
                var dist = try s.beginObject()
                while let name = try s.nextMember(&dist) {
                    switch name {
                    case "tarball": url = try s.stringValue()
                    case "integrity": sri = try s.stringValue()
                    case "shasum": shasum = try s.stringValue()
                    case "size": release.size = Int64(String(decoding: s.slice(try s.skipValue()), as: UTF8.self))
                    default: try s.skipValue()
                    }
                }
            default:
                try s.skipValue()
            }
        }
        if let url {
            let integrity = sri.flatMap(Integrity.init(sri:)) ?? shasum.flatMap { Integrity(algorithm: .sha1, hex: $0) }
            release.tarball = Tarball(filename: filename(of: url), url: url, integrity: integrity)
        }
        return release
    }

    /// Runs `work` over the document and checks that nothing follows it.
    private func scan(_ work: (inout JSONScanner) throws -> Void) throws {
        do {
            try body.withUnsafeReadableBytes { bytes in
                var scanner = JSONScanner(bytes)
                try work(&scanner)
                try scanner.end()
            }
        } catch let error as LarderError where error.kind == .upstreamFailed {
            throw LarderError(.upstreamFailed, "upstream package document \(source) is \(error.message)")
        }
    }

    private func bytes(_ range: Range<Int>) -> Data {
        body.getData(at: body.readerIndex + range.lowerBound, length: range.count) ?? Data()
    }

    /// The last path segment of a tarball URL, decoded.
    static func filename(of url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init) ?? url
        let last = path.split(separator: "/").last.map(String.init) ?? path
        return last.removingPercentEncoding ?? last
    }
}
