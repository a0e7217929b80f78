import NIOCore

/// Writes JSON alongside a `JSONScanner`: bytes copied from the source document as they are,
/// and the few values a rewrite changes.
struct JSONOutput {
    /// What has been written.
    var buffer: ByteBuffer

    /// An output with room for about `capacity` bytes.
    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Writes bytes as they are.
    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        buffer.writeBytes(bytes)
    }

    /// Writes ASCII punctuation or a literal.
    mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    /// Writes `"key":`, preceded by a comma unless it is the object's first member.
    mutating func key(_ key: String, first: inout Bool) {
        if !first { buffer.writeInteger(UInt8(ascii: ",")) }
        first = false
        string(key)
        buffer.writeInteger(UInt8(ascii: ":"))
    }

    /// Writes `value` as a JSON string, escaping what RFC 8259 requires.
    mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
