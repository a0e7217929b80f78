public import LarderCore

/// A forward-only reader over the bytes of a JSON document that checks the syntax (RFC 8259,
/// UTF-8 included) as it goes and never builds a tree: rewriting a 100 MB package document with
/// it costs the document and its output in memory, not the tenfold of a parsed tree. Callers walk
/// objects member by member and either read a value, copy its bytes, or skip it.
///
/// A scanner works on bytes it does not own: create it inside `withUnsafeReadableBytes`.
struct JSONScanner {
    /// The document's bytes.
    let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    private(set) var position = 0
    /// How many containers are open.
    private var depth = 0
    /// The deepest nesting read; deeper documents are refused rather than walked.
    static let maxDepth = 512

    /// A scanner at the start of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The error for a syntax problem at the current position.
    func failure(_ what: String) -> LarderError {
        LarderError(.upstreamFailed, "not valid JSON at byte \(position): \(what)")
    }

    // MARK: Structure

    /// Skips white space and returns the next byte without consuming it; nil at the end.
    mutating func peek() -> UInt8? {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return bytes[position]
            }
        }
        return nil
    }

    /// Consumes `byte` after white space, or throws.
    mutating func expect(_ byte: UInt8) throws(LarderError) {
        guard peek() == byte else { throw failure("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    /// Checks that nothing but white space follows the document.
    mutating func end() throws(LarderError) {
        if peek() != nil { throw failure("data after the end of the document") }
    }

    /// Opens the object that comes next; its members are then read with `nextMember`.
    mutating func beginObject() throws(LarderError) -> ObjectCursor {
        try expect(UInt8(ascii: "{"))
        try enter()
        return ObjectCursor()
    }

    /// Opens the array that comes next; its elements are then read with `nextElement`.
    mutating func beginArray() throws(LarderError) -> ObjectCursor {
        try expect(UInt8(ascii: "["))
        try enter()
        return ObjectCursor()
    }

    /// The next member's key, leaving the scanner at its value (which the caller must read,
    /// copy or skip); nil once the object's closing brace is consumed.
    mutating func nextMember(_ cursor: inout ObjectCursor) throws(LarderError) -> String? {
        guard try advance(&cursor, closing: UInt8(ascii: "}")) else { return nil }
        guard peek() == UInt8(ascii: "\"") else { throw failure("expected a member name") }
        let key = try readString()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Whether another element follows in the array (the scanner is then at it); false once
    /// the closing bracket is consumed.
    mutating func nextElement(_ cursor: inout ObjectCursor) throws(LarderError) -> Bool {
        try advance(&cursor, closing: UInt8(ascii: "]"))
    }

    /// Where a walk through one object or array stands.
    struct ObjectCursor {
        fileprivate var started = false
    }

    private mutating func advance(_ cursor: inout ObjectCursor, closing: UInt8) throws(LarderError) -> Bool {
        let next = peek()
        if next == closing {
            position += 1
            depth -= 1
            return false
        }
        if cursor.started {
            guard next == UInt8(ascii: ",") else { throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))'") }
            position += 1
        }
        cursor.started = true
        return true
    }

    private mutating func enter() throws(LarderError) {
        depth += 1
        if depth > Self.maxDepth { throw failure("nested more than \(Self.maxDepth) levels deep") }
    }

    // MARK: Values

    /// Skips the value that comes next, checking its syntax, and returns the range of its bytes.
    @discardableResult
    mutating func skipValue() throws(LarderError) -> Range<Int> {
        guard let first = peek() else { throw failure("expected a value, found the end") }
        let start = position
        switch first {
        case UInt8(ascii: "{"):
            var cursor = try beginObject()
            while try nextMember(&cursor) != nil { try skipValue() }
        case UInt8(ascii: "["):
            var cursor = try beginArray()
            while try nextElement(&cursor) { try skipValue() }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try number()
        }
        return start..<position
    }

    /// The string that comes next, decoded; nil (with the value skipped) when the value is not a
    /// string.
    mutating func stringValue() throws(LarderError) -> String? {
        guard peek() == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try readString()
    }

    /// Whether the value that comes next is an object (without consuming it).
    mutating func atObject() -> Bool { peek() == UInt8(ascii: "{") }

    /// The raw bytes of `range`.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    private mutating func literal(_ word: StaticString) throws(LarderError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
            memcmp(bytes.baseAddress! + position, word.utf8Start, count) == 0
        else { throw failure("expected \(word)") }
        position += count
    }

    private mutating func number() throws(LarderError) {
        func digits() throws(LarderError) {
            let start = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
            if position == start { throw failure("expected a digit") }
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw failure("expected a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            try digits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            try digits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            try digits()
        }
    }

    /// Skips a string, checking its escapes and UTF-8; returns whether it had escapes.
    @discardableResult
    private mutating func skipString() throws(LarderError) -> Bool {
        position += 1  // the opening quote
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return escaped
            case UInt8(ascii: "\\"):
                escaped = true
                guard position + 1 < bytes.count else { throw failure("unfinished escape") }
                switch bytes[position + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 2
                case UInt8(ascii: "u"):
                    guard position + 6 <= bytes.count, (2..<6).allSatisfy({ Self.hexValue(bytes[position + $0]) != nil }) else {
                        throw failure("a \\u escape needs four hex digits")
                    }
                    position += 6
                default:
                    throw failure("unknown escape")
                }
            case 0..<0x20:
                throw failure("a control character inside a string")
            case 0x80...:
                try skipUTF8Sequence()
            default:
                position += 1
            }
        }
        throw failure("unterminated string")
    }

    /// Checks one multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
    /// past U+10FFFF) and moves past it.
    private mutating func skipUTF8Sequence() throws(LarderError) {
        let lead = bytes[position]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw failure("invalid UTF-8")
        }
        guard position + length <= bytes.count else { throw failure("invalid UTF-8") }
        let second = bytes[position + 1]
        guard second >= low, second <= high else { throw failure("invalid UTF-8") }
        for offset in 2..<length where bytes[position + offset] & 0xC0 != 0x80 {
            throw failure("invalid UTF-8")
        }
        position += length
    }

    /// Reads a string (the scanner is at its opening quote) and decodes it.
    private mutating func readString() throws(LarderError) -> String {
        let start = position
        let escaped = try skipString()
        let inner = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(position - 1)])
        if !escaped { return String(decoding: inner, as: UTF8.self) }
        return try decodeEscapes(inner)
    }

    private func decodeEscapes(_ inner: UnsafeRawBufferPointer) throws(LarderError) -> String {
        var utf16: [UInt16] = []
        var result = ""
        var plain: [UInt8] = []
        func flushUTF16() {
            result += String(decoding: utf16, as: UTF16.self)
            utf16.removeAll()
        }
        func flushPlain() {
            result += String(decoding: plain, as: UTF8.self)
            plain.removeAll()
        }
        var i = 0
        while i < inner.count {
            let byte = inner[i]
            guard byte == UInt8(ascii: "\\") else {
                flushUTF16()
                plain.append(byte)
                i += 1
                continue
            }
            let code = inner[i + 1]
            if code == UInt8(ascii: "u") {
                flushPlain()
                var unit: UInt16 = 0
                for k in 2..<6 { unit = unit << 4 | UInt16(Self.hexValue(inner[i + k])!) }
                utf16.append(unit)
                i += 6
                continue
            }
            flushUTF16()
            switch code {
            case UInt8(ascii: "b"): plain.append(0x08)
            case UInt8(ascii: "f"): plain.append(0x0C)
            case UInt8(ascii: "n"): plain.append(0x0A)
            case UInt8(ascii: "r"): plain.append(0x0D)
            case UInt8(ascii: "t"): plain.append(0x09)
            default: plain.append(code)  // " \ /
            }
            i += 2
        }
        flushUTF16()
        flushPlain()
        return result
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
