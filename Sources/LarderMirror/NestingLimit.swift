public import Foundation

/// How deep the documents the mirror reads may nest. Real SBOMs and lockfiles nest a few
/// levels; a document nested thousands deep is an attack on the reader (time, stack), so it is
/// refused before it is parsed.
public enum NestingLimit {
    /// The deepest nesting accepted: JSON objects and arrays, XML elements.
    public static let depth = 256

    /// Whether JSON text nests objects and arrays deeper than `depth`: a linear scan that skips
    /// strings, run before the document is parsed.
    public static func exceeded(inJSON data: Data) -> Bool {
        var level = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                level += 1
                if level > depth { return true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): level -= 1
            default: break
            }
        }
        return false
    }

    /// The message for a document that nests too deep.
    public static func message(_ what: String) -> String { "the \(what) nests deeper than \(depth) levels; Larder refuses it" }
}
