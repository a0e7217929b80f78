public import Foundation

/// How long new versions are held back (`cooldown`): a default, per ecosystem and per package
/// (a package URL without a version; `0` is a break-glass: no cooldown), first match wins in
/// that order, and an optional freeze date after which nothing new is let in.
public struct CooldownSettings: Sendable, Equatable {
    /// The age every version must reach, where nothing more specific is set; nil for none.
    public var defaultAge: TimeInterval?
    /// Ages by ecosystem (Package URL type).
    public var ecosystems: [String: TimeInterval] = [:]
    /// Ages by package URL (without a version).
    public var packages: [String: TimeInterval] = [:]
    /// Versions published (or first seen) after this moment are held back whatever their age.
    public var before: Date?

    /// No cooldown.
    public init() {}

    /// Whether any setting holds versions back.
    public var isEnabled: Bool {
        (defaultAge ?? 0) > 0 || ecosystems.values.contains { $0 > 0 } || packages.values.contains { $0 > 0 } || before != nil
    }

    /// Parses an age: a number with a unit (`30s`, `15m`, `12h`, `3d`, `2w`), or `0`.
    public static func age(_ text: String) throws(PolicyInputError) -> TimeInterval {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "0" { return 0 }
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let factor = units[unit], let number = Double(text.dropLast()), number >= 0, number <= 3_650, number.isFinite else {
            throw PolicyInputError("'\(text.prefix(40))' is not an age: a number and a unit, such as 30m, 12h, 3d or 2w, or 0")
        }
        return number * factor
    }

    /// Parses `name=age` pairs separated by commas (the environment's and flags' form of
    /// `cooldown.ecosystems` and `cooldown.packages`).
    public static func ages(_ text: String) throws(PolicyInputError) -> [String: TimeInterval] {
        var out: [String: TimeInterval] = [:]
        for pair in text.split(separator: ",") where !pair.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let equals = pair.lastIndex(of: "=") else { throw PolicyInputError("'\(pair.prefix(80))' is not name=age") }
            let name = pair[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw PolicyInputError("'\(pair.prefix(80))' names nothing before '='") }
            out[name] = try age(String(pair[pair.index(after: equals)...]))
        }
        return out
    }

    /// Parses the freeze date: `2026-11-01` (midnight UTC) or an RFC 3339 time.
    public static func date(_ text: String) throws(PolicyInputError) -> Date {
        let text = text.trimmingCharacters(in: .whitespaces)
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if text.count == 10, let date = day.date(from: text) { return date }
        throw PolicyInputError("'\(text.prefix(40))' is not a date: 2026-11-01 or 2026-11-01T12:00:00Z")
    }
}
