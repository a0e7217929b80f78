public import LarderCore

/// RubyGems versions and requirements (`~> 1.2`, `>= 1.0, < 2`): versions compare segment by
/// segment, numbers as numbers, and a letter segment makes a prerelease, which sorts before the
/// release (`1.0.0.pre < 1.0.0`).
public enum GemRequirement {
    enum Segment: Comparable {
        case text(String)
        case number(Int)

        static func < (a: Segment, b: Segment) -> Bool {
            switch (a, b) {
            case let (.number(x), .number(y)): x < y
            case let (.text(x), .text(y)): x < y
            case (.text, .number): true
            case (.number, .text): false
            }
        }
    }

    /// A version's segments (`1.0.0.pre1` is 1, 0, 0, pre, 1), trailing zeros dropped; nil when
    /// it is not a version.
    static func segments(_ text: String) -> [Segment]? {
        guard let first = text.first, first.isNumber, text.count <= 100,
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
        else { return nil }
        var out: [Segment] = []
        var current = ""
        func flush() {
            guard !current.isEmpty else { return }
            out.append(Int(current).map(Segment.number) ?? .text(current))
            current = ""
        }
        for character in text {
            if character == "." || character == "-" { flush(); continue }
            if let last = current.last, last.isNumber != character.isNumber { flush() }
            current.append(character)
        }
        flush()
        while case .number(0)? = out.last, out.count > 1 { out.removeLast() }
        return out
    }

    static func compare(_ a: [Segment], _ b: [Segment]) -> Int {
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : .number(0)
            let y = index < b.count ? b[index] : .number(0)
            if x < y { return -1 }
            if y < x { return 1 }
        }
        return 0
    }

    /// The versions a requirement admits. Prereleases match only a requirement that names one.
    public static func range(_ text: String) throws(LarderError) -> VersionRange {
        var tests: [@Sendable ([Segment]) -> Bool] = []
        var allowsPrerelease = false
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let constraint = raw.trimmingCharacters(in: .whitespaces)
            let op = ["~>", ">=", "<=", "!=", ">", "<", "="].first { constraint.hasPrefix($0) } ?? "="
            let operand = constraint.dropFirst(constraint.hasPrefix(op) ? op.count : 0).trimmingCharacters(in: .whitespaces)
            guard let bound = segments(operand) else {
                throw LarderError.badRequest("'\(constraint.prefix(100))' is not a RubyGems requirement (such as '~> 1.2', '>= 1.0, < 2' or '1.4.2')")
            }
            if bound.contains(where: { if case .text = $0 { true } else { false } }) { allowsPrerelease = true }
            switch op {
            case "=": tests.append { compare($0, bound) == 0 }
            case "!=": tests.append { compare($0, bound) != 0 }
            case ">": tests.append { compare($0, bound) > 0 }
            case ">=": tests.append { compare($0, bound) >= 0 }
            case "<": tests.append { compare($0, bound) < 0 }
            case "<=": tests.append { compare($0, bound) <= 0 }
            default:
                // ~> 1.2.3 means >= 1.2.3, < 1.3; ~> 1.2 means >= 1.2, < 2.
                let release = operand.split(separator: ".").prefix { Int($0) != nil }.compactMap { Int($0) }
                var upper = Array(release.dropLast(release.count > 1 ? 1 : 0))
                upper[upper.count - 1] += 1
                let ceiling = upper.map(Segment.number)
                tests.append { compare($0, bound) >= 0 && compare($0, ceiling) < 0 }
            }
        }
        let all = tests
        let prerelease = allowsPrerelease
        return VersionRange { version in
            guard let parsed = segments(version) else { return false }
            if !prerelease, parsed.contains(where: { if case .text = $0 { true } else { false } }) { return false }
            return all.allSatisfy { $0(parsed) }
        }
    }
}
