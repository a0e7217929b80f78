import Foundation
import LarderCore

/// A Maven version, ordered as Maven 3.9's `ComparableVersion` orders them: numbers numerically,
/// qualifiers `alpha` < `beta` < `milestone` < `rc` (= `cr`) < `snapshot` < release (none,
/// `ga`, `final`, `release`) < `sp`, unknown qualifiers after those alphabetically, a qualifier
/// with a number (`rc1`, `alpha-2`) as one item, `.` and `-` separating items, and trailing zeros
/// ignored (`1.0` = `1`).
public struct MavenVersion: Comparable, Sendable, CustomStringConvertible {
    /// The version as written.
    public let text: String
    private let items: ListItem

    /// Parses any string: every string is a Maven version.
    public init(_ text: String) {
        self.text = text
        self.items = Self.parse(text.lowercased())
    }

    public var description: String { text }

    public static func == (a: MavenVersion, b: MavenVersion) -> Bool { a.items.compare(b.items) == 0 }
    public static func < (a: MavenVersion, b: MavenVersion) -> Bool { a.items.compare(b.items) < 0 }

    // MARK: Items

    private indirect enum Item {
        case int([UInt32])  // base 10^9 limbs, most significant first, no leading zero limbs
        case string(String)
        case combination(qualifier: String, number: [UInt32])
        case list(ListItem)

        var isNull: Bool {
            switch self {
            case .int(let limbs): limbs.isEmpty
            case .string(let s): s.isEmpty
            case .combination: false
            case .list(let l): l.items.isEmpty
            }
        }

        static let qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
        static let releaseQualifiers: Set<String> = ["ga", "final", "release"]
        static let releaseIndex = "5"

        static func comparableQualifier(_ s: String) -> String {
            if releaseQualifiers.contains(s) { return releaseIndex }
            if let index = qualifiers.firstIndex(of: s) { return "\(index)" }
            return "\(qualifiers.count)-\(s)"
        }

        static func qualifier(_ s: String, followedByDigit: Bool) -> String {
            var value = s
            if followedByDigit && s.count == 1 {
                switch s {
                case "a": value = "alpha"
                case "b": value = "beta"
                case "m": value = "milestone"
                default: break
                }
            }
            return value == "cr" ? "rc" : value
        }

        static func number(_ digits: Substring) -> [UInt32] {
            let trimmed = digits.drop { $0 == "0" }
            var limbs: [UInt32] = []
            var end = trimmed.endIndex
            while end > trimmed.startIndex {
                let start = trimmed.index(end, offsetBy: -9, limitedBy: trimmed.startIndex) ?? trimmed.startIndex
                limbs.insert(UInt32(trimmed[start..<end]) ?? 0, at: 0)
                end = start
            }
            return limbs
        }

        static func compareNumbers(_ a: [UInt32], _ b: [UInt32]) -> Int {
            if a.count != b.count { return a.count < b.count ? -1 : 1 }
            for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
            return 0
        }

        static func order(_ a: String, _ b: String) -> Int { a == b ? 0 : (a < b ? -1 : 1) }

        static func compareQualifiers(_ a: String, _ b: String?) -> Int {
            order(comparableQualifier(a), b.map(comparableQualifier) ?? releaseIndex)
        }

        /// Compares to another item, or to nothing (a missing item).
        func compare(_ other: Item?) -> Int {
            switch (self, other) {
            case (.int(let limbs), nil): return limbs.isEmpty ? 0 : 1
            case (.int(let a), .int(let b)?): return Item.compareNumbers(a, b)
            case (.int, _?): return 1
            case (.string(let s), nil): return Item.compareQualifiers(s, nil)
            case (.string, .int?), (.string, .list?): return -1
            case (.string(let a), .string(let b)?): return Item.compareQualifiers(a, b)
            case (.string(let a), .combination(let b, _)?):
                let result = Item.compareQualifiers(a, b)
                return result == 0 ? -1 : result
            case (.combination(let q, _), nil): return Item.compareQualifiers(q, nil)
            case (.combination, .int?), (.combination, .list?): return -1
            case (.combination(let q, _), .string(let s)?):
                let result = Item.compareQualifiers(q, s)
                return result == 0 ? 1 : result
            case (.combination(let q1, let n1), .combination(let q2, let n2)?):
                let result = Item.compareQualifiers(q1, q2)
                return result == 0 ? Item.compareNumbers(n1, n2) : result
            case (.list(let l), nil):
                for item in l.items {
                    let result = item.compare(nil)
                    if result != 0 { return result }
                }
                return 0
            case (.list, .int?): return -1
            case (.list, .string?), (.list, .combination?): return 1
            case (.list(let a), .list(let b)?): return a.compare(b)
            }
        }
    }

    private final class ListItem: @unchecked Sendable {
        var items: [Item] = []

        func compare(_ other: ListItem) -> Int {
            var index = 0
            while index < items.count || index < other.items.count {
                let left = index < items.count ? items[index] : nil
                let right = index < other.items.count ? other.items[index] : nil
                let result = left.map { $0.compare(right) } ?? -(right!.compare(nil))
                if result != 0 { return result }
                index += 1
            }
            return 0
        }

        /// Drops null items (zeros, empty qualifiers and lists) at the end, and those followed by
        /// a qualifier (`1.0-rc` compares as `1-rc`).
        func normalize() {
            var index = items.count - 1
            while index >= 0 {
                if items[index].isNull {
                    if index == items.count - 1 {
                        items.remove(at: index)
                    } else {
                        switch items[index + 1] {
                        case .string:
                            items.remove(at: index)
                        case .list(let next):
                            switch next.items.first {
                            case .combination?, .string?: items.remove(at: index)
                            default: break
                            }
                        default:
                            break
                        }
                    }
                }
                index -= 1
            }
        }
    }

    private static func parse(_ version: String) -> ListItem {
        let root = ListItem()
        var list = root
        var stack = [root]
        var isDigit = false
        var isCombination = false
        let chars = Array(version)
        var start = 0
        func item(_ from: Int, _ to: Int) -> Item {
            let text = String(chars[from..<to])
            if isCombination {
                let joined = text.replacingOccurrences(of: "-", with: "")
                guard let firstDigit = joined.firstIndex(where: { $0.isASCII && $0.isNumber }), firstDigit > joined.startIndex else {
                    return .string(Item.qualifier(joined, followedByDigit: false))
                }
                return .combination(qualifier: Item.qualifier(String(joined[..<firstDigit]), followedByDigit: true), number: Item.number(joined[firstDigit...]))
            }
            return isDigit ? .int(Item.number(Substring(text))) : .string(Item.qualifier(text, followedByDigit: false))
        }
        func push() {
            let next = ListItem()
            list.items.append(.list(next))
            list = next
            stack.append(next)
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "." {
                list.items.append(i == start ? .int([]) : item(start, i))
                isCombination = false
                start = i + 1
            } else if c == "-" {
                if i == start {
                    list.items.append(.int([]))
                } else {
                    // X-1 reads as X1.
                    if !isDigit, i + 1 < chars.count, chars[i + 1].isASCII, chars[i + 1].isNumber {
                        isCombination = true
                        i += 1
                        continue
                    }
                    list.items.append(item(start, i))
                }
                start = i + 1
                if !list.items.isEmpty { push() }
                isCombination = false
            } else if c.isASCII && c.isNumber {
                if !isDigit && i > start {
                    isCombination = true
                    if !list.items.isEmpty { push() }
                }
                isDigit = true
            } else {
                if isDigit && i > start {
                    list.items.append(item(start, i))
                    start = i
                    push()
                    isCombination = false
                }
                isDigit = false
            }
            i += 1
        }
        if chars.count > start {
            // A trailing qualifier after a dot reads as one after a hyphen: 1.0.0.X1 < 1.0.0-X2.
            if !isDigit && !list.items.isEmpty { push() }
            list.items.append(item(start, chars.count))
        }
        while let last = stack.popLast() { last.normalize() }
        return root
    }
}

/// Maven's version range syntax: `[1.0,2.0)`, `[1.0,)`, `(,1.0]`, `[1.2]`, and unions such as
/// `[1.0,1.2),(1.2,2.0]`.
enum MavenVersionRange {
    private struct Restriction {
        var lower: MavenVersion?
        var lowerInclusive: Bool
        var upper: MavenVersion?
        var upperInclusive: Bool

        func contains(_ version: MavenVersion) -> Bool {
            if let lower, lowerInclusive ? version < lower : version <= lower { return false }
            if let upper, upperInclusive ? version > upper : version >= upper { return false }
            return true
        }
    }

    /// Parses `text`; throws a 400 that says what is wrong.
    static func parse(_ text: String) throws(LarderError) -> VersionRange {
        var restrictions: [Restriction] = []
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard rest.first == "[" || rest.first == "(" else {
            throw LarderError.badRequest("a Maven range starts with [ or (, as in [1.0,2.0), [1.0,) or (,1.0]")
        }
        while let open = rest.first {
            guard open == "[" || open == "(", let close = rest.firstIndex(where: { $0 == "]" || $0 == ")" }) else {
                throw LarderError.badRequest("'\(text)' is not a Maven version range: a restriction must open with [ or ( and close with ] or )")
            }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            let parts = inner.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let restriction: Restriction
            switch parts.count {
            case 1:
                guard open == "[", rest[close] == "]", !parts[0].isEmpty else {
                    throw LarderError.badRequest("'\(text)': a single version in a Maven range must be written [version]")
                }
                restriction = Restriction(lower: MavenVersion(parts[0]), lowerInclusive: true, upper: MavenVersion(parts[0]), upperInclusive: true)
            case 2:
                restriction = Restriction(
                    lower: parts[0].isEmpty ? nil : MavenVersion(parts[0]), lowerInclusive: open == "[",
                    upper: parts[1].isEmpty ? nil : MavenVersion(parts[1]), upperInclusive: rest[close] == "]")
                if let lower = restriction.lower, let upper = restriction.upper, upper < lower {
                    throw LarderError.badRequest("'\(text)': the range's lower bound is above its upper bound")
                }
            default:
                throw LarderError.badRequest("'\(text)': a Maven range restriction has at most two bounds")
            }
            restrictions.append(restriction)
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
            if rest.first == "," { rest = rest.dropFirst().drop { $0 == " " } }
        }
        let all = restrictions
        return VersionRange { version in
            let parsed = MavenVersion(version)
            return all.contains { $0.contains(parsed) }
        }
    }
}
