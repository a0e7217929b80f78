public import LarderCore

/// npm's semantic versions and ranges (node-semver): `^1.2.3`, `~1.2`, `1.x`, `>=1.0.0 <2`,
/// `1.2.3 - 2.3.4`, `||` alternatives. A pre-release version matches only a range that names a
/// pre-release of the same major.minor.patch, as npm decides.
public enum NpmSemver {
    /// A parsed version.
    public struct Version: Comparable, Sendable {
        var major: Int, minor: Int, patch: Int
        var prerelease: [String]

        /// Parses `1.2.3`, `v1.2.3-beta.1+build`; nil for anything else.
        public init?(_ text: String) {
            var s = Substring(text.trimmingCharacters(in: .whitespaces))
            if s.hasPrefix("v") || s.hasPrefix("=") { s = s.dropFirst() }
            if let plus = s.firstIndex(of: "+") { s = s[..<plus] }
            var pre: [String] = []
            if let dash = s.firstIndex(of: "-") {
                pre = s[s.index(after: dash)...].split(separator: ".").map(String.init)
                s = s[..<dash]
            }
            let parts = s.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 3, let a = parts[0], let b = parts[1], let c = parts[2] else { return nil }
            (major, minor, patch, prerelease) = (a, b, c, pre)
        }

        init(_ major: Int, _ minor: Int, _ patch: Int, _ prerelease: [String] = []) {
            (self.major, self.minor, self.patch, self.prerelease) = (major, minor, patch, prerelease)
        }

        var release: (Int, Int, Int) { (major, minor, patch) }

        /// Whether it is a release (no pre-release part).
        public var isStable: Bool { prerelease.isEmpty }

        public static func < (l: Version, r: Version) -> Bool {
            if l.release != r.release { return l.release < r.release }
            // Same major.minor.patch: a pre-release comes before the release.
            switch (l.prerelease.isEmpty, r.prerelease.isEmpty) {
            case (true, _): return false
            case (false, true): return true
            case (false, false):
                for (a, b) in zip(l.prerelease, r.prerelease) where a != b {
                    switch (Int(a), Int(b)) {
                    case let (x?, y?): return x < y
                    case (.some, nil): return true
                    case (nil, .some): return false
                    default: return a < b
                    }
                }
                return l.prerelease.count < r.prerelease.count
            }
        }

        public static func == (l: Version, r: Version) -> Bool { l.release == r.release && l.prerelease == r.prerelease }
    }

    private struct Comparator {
        enum Op { case lt, le, gt, ge, eq }
        var op: Op
        var version: Version
        func test(_ v: Version) -> Bool {
            switch op {
            case .lt: v < version
            case .le: v <= version
            case .gt: v > version
            case .ge: v >= version
            case .eq: v == version
            }
        }
    }

    /// Parses `range`; the returned range tells which versions it contains.
    public static func range(_ range: String) throws(LarderError) -> VersionRange {
        let sets = try range.components(separatedBy: "||").map { set throws(LarderError) in try comparators(set) }
        return VersionRange { text in
            guard let version = Version(text) else { return false }
            return sets.contains { set in
                guard set.allSatisfy({ $0.test(version) }) else { return false }
                if version.prerelease.isEmpty { return true }
                return set.contains { !$0.version.prerelease.isEmpty && $0.version.release == version.release }
            }
        }
    }

    /// A partial version: missing or `x`/`*` parts are nil.
    private static func partial(_ text: Substring) throws(LarderError) -> (Int?, Int?, Int?, [String]) {
        var s = text
        if s.hasPrefix("v") { s = s.dropFirst() }
        if let plus = s.firstIndex(of: "+") { s = s[..<plus] }
        var pre: [String] = []
        if let dash = s.firstIndex(of: "-") {
            pre = s[s.index(after: dash)...].split(separator: ".").map(String.init)
            s = s[..<dash]
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 3 else { throw LarderError.badRequest("'\(text)' is not an npm version") }
        var numbers: [Int?] = []
        for part in parts {
            if part == "x" || part == "X" || part == "*" || part.isEmpty {
                numbers.append(nil)
            } else if let n = Int(part), n >= 0 {
                numbers.append(n)
            } else {
                throw LarderError.badRequest("'\(text)' is not an npm version")
            }
        }
        while numbers.count < 3 { numbers.append(nil) }
        // Anything after a wildcard is a wildcard.
        if numbers[0] == nil { numbers = [nil, nil, nil] } else if numbers[1] == nil { numbers[2] = nil }
        return (numbers[0], numbers[1], numbers[2], pre)
    }

    private static func comparators(_ set: String) throws(LarderError) -> [Comparator] {
        var tokens = set.split(separator: " ", omittingEmptySubsequences: true)
        // Hyphen ranges: `a - b`.
        if tokens.count == 3, tokens[1] == "-" {
            let (a, b) = (try partial(tokens[0]), try partial(tokens[2]))
            var out = [Comparator(op: .ge, version: Version(a.0 ?? 0, a.1 ?? 0, a.2 ?? 0, a.3))]
            switch b {
            case (nil, _, _, _): break
            case (let M?, nil, _, _): out.append(Comparator(op: .lt, version: Version(M + 1, 0, 0)))
            case (let M?, let m?, nil, _): out.append(Comparator(op: .lt, version: Version(M, m + 1, 0)))
            case (let M?, let m?, let p?, let pre): out.append(Comparator(op: .le, version: Version(M, m, p, pre)))
            }
            return out
        }
        // `>= 1.2` with a space: glue operators to their versions.
        var glued: [Substring] = []
        while !tokens.isEmpty {
            let t = tokens.removeFirst()
            if ["<", "<=", ">", ">=", "=", "~", "^"].contains(t), !tokens.isEmpty { glued.append(Substring(t + tokens.removeFirst())) } else { glued.append(t) }
        }
        if glued.isEmpty { return [] }
        var out: [Comparator] = []
        for token in glued { out += try expand(token) }
        return out
    }

    private static func expand(_ token: Substring) throws(LarderError) -> [Comparator] {
        var op = ""
        var rest = token
        while let c = rest.first, "<>=~^".contains(c) {
            op.append(c)
            rest = rest.dropFirst()
        }
        let (M, m, p, pre) = try partial(rest)
        switch op {
        case "^":
            guard let M else { return [] }
            let low = Version(M, m ?? 0, p ?? 0, pre)
            let high: Version
            if M > 0 || m == nil { high = Version(M + 1, 0, 0) } else if m! > 0 || p == nil { high = Version(0, m! + 1, 0) } else { high = Version(0, 0, p! + 1) }
            return [Comparator(op: .ge, version: low), Comparator(op: .lt, version: high)]
        case "~", "~>":
            guard let M else { return [] }
            let low = Version(M, m ?? 0, p ?? 0, pre)
            let high = m == nil ? Version(M + 1, 0, 0) : Version(M, m! + 1, 0)
            return [Comparator(op: .ge, version: low), Comparator(op: .lt, version: high)]
        case "", "=":
            guard let M else { return [] }
            guard let m else { return [Comparator(op: .ge, version: Version(M, 0, 0)), Comparator(op: .lt, version: Version(M + 1, 0, 0))] }
            guard let p else { return [Comparator(op: .ge, version: Version(M, m, 0)), Comparator(op: .lt, version: Version(M, m + 1, 0))] }
            return [Comparator(op: .eq, version: Version(M, m, p, pre))]
        case ">", ">=", "<", "<=":
            guard let M else { return op.hasPrefix("<") ? [Comparator(op: .lt, version: Version(0, 0, 0))] : [] }
            let full = Version(M, m ?? 0, p ?? 0, pre)
            switch op {
            case ">=": return [Comparator(op: .ge, version: full)]
            case "<": return [Comparator(op: .lt, version: full)]
            case ">": return [Comparator(op: m == nil ? .ge : (p == nil ? .ge : .gt), version: m == nil ? Version(M + 1, 0, 0) : (p == nil ? Version(M, m! + 1, 0) : full))]
            default: return [Comparator(op: m == nil ? .lt : (p == nil ? .lt : .le), version: m == nil ? Version(M + 1, 0, 0) : (p == nil ? Version(M, m! + 1, 0) : full))]
            }
        default:
            throw LarderError.badRequest("'\(token)' is not an npm range comparator")
        }
    }
}
