import Foundation
public import LarderCore

/// PEP 440 versions and version specifiers: `>=2.28,<3`, `~=1.4.2`, `==1.2.*`, `!=1.3`.
/// Pre-releases match only when a specifier names one, as pip decides by default.
public enum PEP440 {
    /// A parsed version.
    public struct Version: Comparable, Sendable {
        var epoch: Int
        var release: [Int]
        var pre: (kind: Int, number: Int)?
        var post: Int?
        var dev: Int?
        var local: String?

        private static let pattern = try! NSRegularExpression(pattern: #"^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$"#)

        /// Parses a version; nil when it is not PEP 440.
        public init?(_ text: String) {
            let s = text.trimmingCharacters(in: .whitespaces).lowercased()
            guard let m = Self.pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
            func group(_ i: Int) -> String? { Range(m.range(at: i), in: s).map { String(s[$0]) } }
            epoch = group(1).flatMap { Int($0) } ?? 0
            release = group(2)!.split(separator: ".").compactMap { Int($0) }
            if let kind = group(3) {
                let rank = ["a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2][kind]!
                pre = (rank, group(4).flatMap { Int($0) } ?? 0)
            }
            if let implicit = group(5) { post = Int(implicit) } else if group(6) != nil { post = group(7).flatMap { Int($0) } ?? 0 }
            if group(8) != nil { dev = group(9).flatMap { Int($0) } ?? 0 }
            local = group(10)
        }

        var isPrerelease: Bool { pre != nil || dev != nil }

        /// The release with trailing zeros removed, for comparisons (`1.0` equals `1`).
        private var trimmed: [Int] {
            var r = release
            while r.count > 1 && r.last == 0 { r.removeLast() }
            return r
        }

        /// PEP 440's ordering key beyond the release: dev-only releases sort before
        /// pre-releases, which sort before the release, which sorts before post-releases.
        private var suffixKey: [Double] {
            let preKey: [Double] = pre.map { [Double($0.kind), Double($0.number)] } ?? (post == nil && dev != nil ? [-.infinity, 0] : [.infinity, 0])
            let postKey: Double = post.map(Double.init) ?? -.infinity
            let devKey: Double = dev.map(Double.init) ?? .infinity
            return preKey + [postKey, devKey]
        }

        public static func < (l: Version, r: Version) -> Bool {
            if l.epoch != r.epoch { return l.epoch < r.epoch }
            let a = l.trimmed, b = r.trimmed
            if a != b { return a.lexicographicallyPrecedes(b) }
            return l.suffixKey.lexicographicallyPrecedes(r.suffixKey)
        }

        public static func == (l: Version, r: Version) -> Bool {
            l.epoch == r.epoch && l.trimmed == r.trimmed && l.suffixKey == r.suffixKey
        }
    }

    /// Parses a comma-separated specifier set.
    public static func specifiers(_ text: String) throws(LarderError) -> VersionRange {
        var tests: [@Sendable (Version, String) -> Bool] = []
        var namesPrerelease = false
        for raw in text.split(separator: ",") {
            let spec = raw.trimmingCharacters(in: .whitespaces)
            guard let opEnd = spec.firstIndex(where: { !"<>=!~".contains($0) }) else { throw LarderError.badRequest("'\(spec)' is not a version specifier") }
            let op = String(spec[..<opEnd])
            let operand = spec[opEnd...].trimmingCharacters(in: .whitespaces)
            if op == "===" {
                tests.append { _, text in text == operand }
                continue
            }
            let wildcard = operand.hasSuffix(".*")
            let versionText = wildcard ? String(operand.dropLast(2)) : operand
            guard let v = Version(versionText) else { throw LarderError.badRequest("'\(operand)' in '\(spec)' is not a PEP 440 version") }
            if v.isPrerelease { namesPrerelease = true }
            switch (op, wildcard) {
            case ("==", true): tests.append { c, _ in prefixMatch(c, v) }
            case ("!=", true): tests.append { c, _ in !prefixMatch(c, v) }
            case ("==", false): tests.append { c, _ in c == v && (v.local == nil || c.local == v.local) }
            case ("!=", false): tests.append { c, _ in !(c == v) }
            case (">=", false): tests.append { c, _ in c >= v }
            case ("<=", false): tests.append { c, _ in c <= v }
            case (">", false): tests.append { c, _ in c > v && !(c.post != nil && sameRelease(c, v)) }
            case ("<", false): tests.append { c, _ in c < v && !(c.isPrerelease && !v.isPrerelease && sameRelease(c, v)) }
            case ("~=", false):
                guard v.release.count >= 2 else { throw LarderError.badRequest("'\(spec)': ~= needs a version with at least two parts") }
                var prefix = v
                prefix.release = Array(v.release.dropLast())
                prefix.pre = nil
                prefix.post = nil
                prefix.dev = nil
                let stem = prefix
                tests.append { c, _ in c >= v && prefixMatch(c, stem) }
            default: throw LarderError.badRequest("'\(spec)' is not a PEP 440 specifier (==, !=, <=, >=, <, >, ~=, ===)")
            }
        }
        guard !tests.isEmpty else { throw LarderError.badRequest("an empty version specifier") }
        let allowPrerelease = namesPrerelease
        let all = tests
        return VersionRange { text in
            guard let c = Version(text) else { return false }
            if c.isPrerelease && !allowPrerelease { return false }
            return all.allSatisfy { $0(c, text) }
        }
    }

    private static func sameRelease(_ a: Version, _ b: Version) -> Bool {
        var x = a.release, y = b.release
        while x.count < y.count { x.append(0) }
        while y.count < x.count { y.append(0) }
        return a.epoch == b.epoch && x == y
    }

    /// `candidate` starts with `prefix`'s epoch and release (zero-padded), as `==1.2.*` asks.
    private static func prefixMatch(_ candidate: Version, _ prefix: Version) -> Bool {
        guard candidate.epoch == prefix.epoch else { return false }
        var release = candidate.release
        while release.count < prefix.release.count { release.append(0) }
        return Array(release.prefix(prefix.release.count)) == prefix.release
    }
}
