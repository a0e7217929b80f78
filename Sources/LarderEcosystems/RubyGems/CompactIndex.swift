public import LarderCore
public import NIOCore

/// RubyGems' compact index (what Bundler and `gem` read): `versions`, every gem's versions in
/// one append-only file, and `info/<name>`, one line per version with its dependencies and the
/// SHA-256 of its `.gem`.
public enum CompactIndex {
    /// One line of an `info` file.
    public struct Release: Sendable, Equatable {
        /// The version field: the version, then `-<platform>` for a platform gem.
        public var field: String
        /// The version alone.
        public var version: String
        /// The platform (`ruby` for a pure gem).
        public var platform: String
        /// The SHA-256 of the `.gem`, lower-case hex.
        public var sha256: String
    }

    /// Whether `name` can be a gem name: letters, digits, `-`, `_`, `.`, not starting with `.`
    /// or `-`.
    public static func isGemName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 100, first != ".", first != "-" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// The releases an `info` file lists. Every line after `---` must be
    /// `<version>[-<platform>] <dependencies>|<requirements>` with a SHA-256 `checksum`.
    public static func releases(_ body: ByteBuffer, gem name: String) throws(LarderError) -> [Release] {
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == "---" else {
            throw LarderError(.upstreamFailed, "the compact index's info file of gem '\(name)' does not start with '---'")
        }
        var releases: [Release] = []
        for (number, line) in lines.dropFirst().enumerated() {
            guard let space = line.firstIndex(of: " "), let bar = line.lastIndex(of: "|"), space < bar else {
                throw LarderError(.upstreamFailed, "line \(number + 2) of the info file of gem '\(name)' is not '<version> <dependencies>|<requirements>'")
            }
            let field = String(line[..<space])
            let requirements = line[line.index(after: bar)...].split(separator: ",")
            guard let checksum = requirements.first(where: { $0.hasPrefix("checksum:") }).map({ String($0.dropFirst("checksum:".count)) }),
                Integrity(algorithm: .sha256, hex: checksum) != nil, isVersionField(field)
            else {
                throw LarderError(.upstreamFailed, "line \(number + 2) of the info file of gem '\(name)' has no valid version and SHA-256 checksum")
            }
            let parts = field.split(separator: "-", maxSplits: 1)
            releases.append(Release(field: field, version: String(parts[0]), platform: parts.count == 2 ? String(parts[1]) : "ruby", sha256: checksum))
        }
        return releases
    }

    /// An `info` file without the lines of the versions `allowed` refuses (every platform of
    /// such a version); `---` and the other lines stay as they are.
    public static func filteredInfo(_ body: ByteBuffer, allowed: VersionFilter) -> ByteBuffer {
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        var kept: [Substring] = []
        var past = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { if line == "---" { past = true } }
            guard past, let field = line.split(separator: " ", maxSplits: 1).first else {
                kept.append(line)
                continue
            }
            let version = field.split(separator: "-", maxSplits: 1).first.map(String.init) ?? String(field)
            if allowed.allows(version) { kept.append(line) }
        }
        return ByteBuffer(string: kept.joined(separator: "\n"))
    }

    /// A `versions` file without the versions the package rules refuse: each line's list loses
    /// them (a yanked `-1.2.0` and every platform of the version alike), and a line left with
    /// none goes. The header and each line's `info` checksum stay as they are (Bundler then
    /// reads the gem's `info` again, which Larder filters the same way).
    public static func filteredVersionsFile(_ body: ByteBuffer, versions: (String) -> VersionFilter) -> ByteBuffer {
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        var kept: [Substring] = []
        var past = false
        var filters: [Substring: VersionFilter] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { if line == "---" { past = true } }
            let fields = line.split(separator: " ")
            guard past, fields.count == 3 else {
                kept.append(line)
                continue
            }
            let allowed = filters[fields[0]] ?? versions(String(fields[0]))
            filters[fields[0]] = allowed
            if allowed.allowsEverything {
                kept.append(line)
                continue
            }
            let listed = fields[1].split(separator: ",").filter { entry in
                let field = entry.hasPrefix("-") ? entry.dropFirst() : entry
                return allowed.allows(String(field.split(separator: "-", maxSplits: 1).first ?? field))
            }
            if !listed.isEmpty { kept.append("\(fields[0]) \(listed.joined(separator: ",")) \(fields[2])") }
        }
        return ByteBuffer(string: kept.joined(separator: "\n"))
    }

    /// Checks a `versions` file: `created_at: …`, `---`, then `<name> <versions> <md5>` lines.
    public static func validateVersions(_ body: ByteBuffer) throws(LarderError) {
        let head = String(decoding: body.readableBytesView.prefix(4096), as: UTF8.self)
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard let separator = lines.firstIndex(of: "---"), separator <= 2, lines.prefix(separator).allSatisfy({ $0.contains(":") }) else {
            throw LarderError(.upstreamFailed, "the compact index's versions file does not start with its 'created_at' header and '---'")
        }
        for line in lines.dropFirst(separator + 1).dropLast() where !line.isEmpty {
            guard line.split(separator: " ").count == 3 else {
                throw LarderError(.upstreamFailed, "the compact index's versions file holds a line that is not '<name> <versions> <md5>'")
            }
        }
    }

    /// A version field: a version of digits, letters and dots, then optionally `-<platform>`.
    static func isVersionField(_ field: String) -> Bool {
        guard let first = field.unicodeScalars.first, ("0"..."9").contains(first), field.utf8.count <= 200 else { return false }
        return field.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// The (gem name, version field) pairs a `.gem` file name can stand for, most likely
    /// first: `<name>-<version>[-<platform>]` split at each `-` that is followed by a digit.
    public static func candidates(forFile filename: String) -> [(name: String, field: String)] {
        guard filename.hasSuffix(".gem") else { return [] }
        let base = Array(filename.dropLast(4))
        var out: [(String, String)] = []
        for index in base.indices where base[index] == "-" && index > 0 && index + 1 < base.count && base[index + 1].isNumber {
            let name = String(base[..<index])
            let field = String(base[(index + 1)...])
            if isGemName(name) && isVersionField(field) { out.append((name, field)) }
        }
        return out
    }
}
