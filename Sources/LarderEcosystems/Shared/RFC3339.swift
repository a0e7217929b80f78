import Foundation

/// Publish times as registries write them: RFC 3339 / ISO 8601, with or without fractional
/// seconds (`2026-11-01T00:00:00.000Z`, `2026-11-01T00:00:00+00:00`).
enum RFC3339 {
    /// The moment `text` names, or nil when it is not such a time.
    static func date(_ text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        return ISO8601DateFormatter().date(from: text)
    }
}
