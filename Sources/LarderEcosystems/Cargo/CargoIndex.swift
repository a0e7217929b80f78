import Foundation
public import LarderCore
public import NIOCore
import NIOFoundationCompat

/// Cargo's registry index: where a crate's index file lives, and what its lines say.
public enum CargoIndex {
    /// The longest crate name crates.io accepts.
    static let maxNameLength = 64

    /// Whether `name` can be a crate name: ASCII letters, digits, `-` and `_`, starting with a
    /// letter or digit (registries other than crates.io allow a leading digit).
    public static func isCrateName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maxNameLength else { return false }
        let alnum = { (byte: UInt8) in (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) }
        return alnum(first) && name.utf8.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// The directory part of a crate's index path (`{prefix}` in `dl` templates): `1`, `2`,
    /// `3/{first letter}`, or `{first two}/{next two}` for longer names, in the name's own case.
    public static func prefix(of name: String) -> String {
        let characters = Array(name)
        switch characters.count {
        case 1: return "1"
        case 2: return "2"
        case 3: return "3/\(characters[0])"
        default: return "\(String(characters[0..<2]))/\(String(characters[2..<4]))"
        }
    }

    /// The index path of `name` (`se/rd/serde`): lower-case, as Cargo asks for it.
    public static func path(of name: String) -> String {
        let lower = name.lowercased()
        return "\(prefix(of: lower))/\(lower)"
    }

    /// The crate an index path names, or nil when the path is not one (wrong prefix, bad name).
    public static func crate(atPath segments: [String]) -> String? {
        guard let name = segments.last, isCrateName(name), name == name.lowercased(), path(of: name) == segments.joined(separator: "/") else { return nil }
        return name
    }

    /// One line of an index file: a published version.
    public struct Entry: Sendable, Equatable, Decodable {
        /// The crate's name, as published.
        public var name: String
        /// The version.
        public var vers: String
        /// The SHA-256 of the `.crate` file, lower-case hex.
        public var cksum: String
        /// Whether the version was yanked.
        public var yanked: Bool?
        /// When it was published (RFC 3339), on lines written since registries began to say.
        public var pubtime: String?
    }

    /// Each version of an index file with its publish time. A line without `pubtime` was
    /// published before the next dated line (an index file grows in publishing order), so it
    /// takes that line's time: its age is at least that. Lines after the last dated one stay
    /// undated.
    public static func versionDates(_ body: ByteBuffer, crate name: String) throws(LarderError) -> [VersionDate] {
        var bound: Date?
        var dates: [VersionDate] = []
        for entry in try entries(body, crate: name).reversed() {
            if let published = entry.pubtime.flatMap(RFC3339.date) { bound = min(bound ?? published, published) }
            dates.append(VersionDate(entry.vers, published: entry.pubtime.flatMap(RFC3339.date) ?? bound))
        }
        return dates.reversed()
    }

    /// The entries of an index file for crate `name`. Every line must be a JSON object naming
    /// that crate, a version and a SHA-256, or the file is not an index file (a login page, a
    /// truncated answer) and is refused.
    public static func entries(_ body: ByteBuffer, crate name: String) throws(LarderError) -> [Entry] {
        let decoder = JSONDecoder()
        var entries: [Entry] = []
        var number = 0
        for line in body.readableBytesView.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            number += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else {
                throw LarderError(.upstreamFailed, "line \(number) of the index file of crate '\(name)' is not a version entry (a JSON object with name, vers and cksum)")
            }
            guard entry.name.lowercased() == name.lowercased() else {
                throw LarderError(.upstreamFailed, "line \(number) of the index file of crate '\(name)' names crate '\(entry.name.prefix(80))'")
            }
            guard Integrity(algorithm: .sha256, hex: entry.cksum) != nil, !entry.vers.isEmpty, entry.vers.utf8.count <= 200,
                entry.vers.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") })
            else {
                throw LarderError(.upstreamFailed, "line \(number) of the index file of crate '\(name)' has no valid version and SHA-256 checksum")
            }
            entries.append(entry)
        }
        return entries
    }

    /// The index file without the lines of versions `allowed` refuses (lines are kept byte for
    /// byte; a line that is not a version entry is dropped).
    public static func filtered(_ body: ByteBuffer, allowed: VersionFilter) -> ByteBuffer {
        struct Version: Decodable { var vers: String }
        let decoder = JSONDecoder()
        var out = ByteBuffer()
        out.reserveCapacity(body.readableBytes)
        for line in body.readableBytesView.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let entry = try? decoder.decode(Version.self, from: Data(line)), allowed.allows(entry.vers) else { continue }
            out.writeBytes(line)
            out.writeString("\n")
        }
        return out
    }

    /// The URL of a `.crate` file, from the registry's `dl` setting: its markers replaced, or
    /// `/{crate}/{version}/download` appended when it has none (Cargo's own rule).
    public static func downloadURL(template: String, crate: String, version: String, checksum: String) -> String {
        let markers = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"]
        guard markers.contains(where: template.contains) else {
            return (template.hasSuffix("/") ? String(template.dropLast()) : template) + "/\(crate)/\(version)/download"
        }
        return template
            .replacingOccurrences(of: "{crate}", with: crate)
            .replacingOccurrences(of: "{version}", with: version)
            .replacingOccurrences(of: "{prefix}", with: prefix(of: crate))
            .replacingOccurrences(of: "{lowerprefix}", with: prefix(of: crate).lowercased())
            .replacingOccurrences(of: "{sha256-checksum}", with: checksum)
    }
}
