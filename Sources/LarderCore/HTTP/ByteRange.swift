import Foundation

/// A client's `Range` request (RFC 9110 §14), evaluated against a stored object of known size.
/// Larder answers single ranges (`bytes=0-99`, `bytes=100-`, suffixes `bytes=-100`) with 206;
/// several ranges, other units and malformed headers get the whole object (which the RFC allows).
public enum ByteRange: Sendable, Equatable {
    /// Serve the whole object with 200.
    case whole
    /// Serve these bytes with 206 and `Content-Range`.
    case partial(ClosedRange<Int64>)
    /// No byte of the object is in the range: 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    /// Evaluates `header` for an object of `size` bytes.
    public static func evaluate(_ header: String?, size: Int64) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), first.count <= 18, last.count <= 18 else { return .whole }
        if first.isEmpty {
            // A suffix: the last N bytes.
            guard let count = Int64(last) else { return .whole }
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(size - count, 0)...(size - 1))
        }
        guard let start = Int64(first) else { return .whole }
        let end: Int64
        if last.isEmpty {
            end = size - 1
        } else {
            guard let value = Int64(last), value >= start else { return .whole }
            end = min(value, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .partial(start...end)
    }

    /// Whether an `If-Range` precondition lets a range be served: it must name the current
    /// entity tag (strongly) or its exact last-modified date; otherwise the whole object is sent.
    public static func ifRangeHolds(_ header: String?, etag: String, lastModified: String) -> Bool {
        guard let header = header?.trimmingCharacters(in: .whitespaces) else { return true }
        if header.hasPrefix("W/") { return false }
        if header.hasPrefix("\"") { return header == etag }
        return header == lastModified
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
