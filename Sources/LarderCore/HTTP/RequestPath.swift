/// A request path split into percent-decoded segments, refusing the tricks that could make a
/// path mean something else than it says: dot segments, encoded slashes and backslashes, NUL
/// and other control characters, malformed percent escapes.
public struct RequestPath: Sendable, Equatable {
    /// The decoded segments, without empty ones at the ends (`/a/b/` gives `["a", "b"]`).
    public let segments: [String]
    /// Whether the raw path ended in `/`.
    public let hasTrailingSlash: Bool
    /// Indexes of segments whose raw form held an encoded slash (`%2F`). Only an adapter that
    /// explicitly accepts such a segment (npm's `@scope%2fname`) may use them.
    public let encodedSlashSegments: Set<Int>

    /// Parses the path part of a request target (no query). Throws a 400 for anything unsafe.
    public init(raw: String) throws(LarderError) {
        guard raw.hasPrefix("/") else { throw .badRequest("request path must start with '/': \(raw.prefix(100))") }
        var parts = raw.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        hasTrailingSlash = raw.count > 1 && raw.hasSuffix("/")
        if hasTrailingSlash { parts.removeLast() }
        var decoded: [String] = []
        var slashed: Set<Int> = []
        for (index, part) in parts.enumerated() {
            guard !part.isEmpty else { throw .badRequest("request path has an empty segment ('//'): \(raw.prefix(200))") }
            guard let value = RequestPath.percentDecode(part) else {
                throw .badRequest("request path has a malformed percent escape in '\(part.prefix(100))'")
            }
            if value == "." || value == ".." { throw .badRequest("request path may not contain '.' or '..' segments") }
            if value.contains("\\") { throw .badRequest("request path may not contain a backslash") }
            if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                throw .badRequest("request path may not contain control characters")
            }
            if value.contains("/") { slashed.insert(index) }
            decoded.append(value)
        }
        segments = decoded
        encodedSlashSegments = slashed
    }

    private init(segments: [String], hasTrailingSlash: Bool, encodedSlashSegments: Set<Int>) {
        self.segments = segments
        self.hasTrailingSlash = hasTrailingSlash
        self.encodedSlashSegments = encodedSlashSegments
    }

    /// The path below its first `count` segments (an adapter's view below its mount point).
    public func dropping(first count: Int) -> RequestPath {
        RequestPath(
            segments: Array(segments.dropFirst(count)),
            hasTrailingSlash: hasTrailingSlash,
            encodedSlashSegments: Set(encodedSlashSegments.filter { $0 >= count }.map { $0 - count }))
    }

    /// Throws unless no segment held an encoded slash (at or after `start`).
    public func requireNoEncodedSlash(from start: Int = 0) throws(LarderError) {
        if encodedSlashSegments.contains(where: { $0 >= start }) {
            throw .badRequest("request path may not contain an encoded slash (%2F)")
        }
    }

    /// Decodes `%XX` escapes; nil when an escape is malformed or the bytes are not UTF-8.
    static func percentDecode(_ s: String) -> String? {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
