import Foundation
import LarderCore
import Synchronization

/// One line of the access log: who asked for what, and what they got.
struct AccessLogEntry: Sendable {
    /// When the request arrived.
    var time: Date
    /// The client's address (without its port).
    var client: String?
    /// The name of the token the request presented, nil for anonymous requests.
    var token: String?
    /// The request method.
    var method: String
    /// The request target, cut to 1,000 characters.
    var path: String
    /// The ecosystem (the adapter's Package URL type), nil for Larder's own routes.
    var ecosystem: String?
    /// The package and version the request was about, where the adapter knew it.
    var package: PackageRef?
    /// `HIT`, `MISS`, `STALE`, `PASS`, or nil (no cache involved).
    var cache: String?
    /// The status sent.
    var status: Int
    /// Body bytes sent.
    var bytes: Int
    /// Whether a streamed body was cut short (an upstream failure mid-download).
    var cut = false
    /// Milliseconds from the request's arrival to its last byte.
    var milliseconds: Int

    /// The line: a JSON object with the fields in a fixed order, and a newline.
    var line: String { String(decoding: encoded, as: UTF8.self) }

    /// The line's bytes, built without Foundation's formatting: it is made for every hit.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + path.utf8.count)
        out.append(contentsOf: #"{"time":""#.utf8)
        out.append(contentsOf: Self.format(time).utf8)
        out.append(UInt8(ascii: "\""))
        Self.field(&out, "client", client)
        Self.field(&out, "token", token)
        Self.field(&out, "method", method)
        Self.field(&out, "path", path)
        Self.field(&out, "ecosystem", ecosystem)
        Self.field(&out, "package", package?.name)
        Self.field(&out, "version", package?.version)
        Self.field(&out, "cache", cache)
        Self.number(&out, "status", status)
        Self.number(&out, "bytes", bytes)
        Self.number(&out, "ms", milliseconds)
        if cut { out.append(contentsOf: #","cut":true"#.utf8) }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    private static func number(_ out: inout [UInt8], _ name: String, _ value: Int) {
        out.append(contentsOf: ",\"\(name)\":\(value)".utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// `,"name":"value"` with the value escaped for JSON (quotes, backslashes, control
    /// characters, and U+2028/U+2029, which some JSON readers take for line ends), or
    /// `,"name":null`.
    private static func field(_ out: inout [UInt8], _ name: String, _ value: String?) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "\":".utf8)
        guard let value else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        var utf8 = value.utf8.makeIterator()
        var previous: (UInt8, UInt8) = (0, 0)
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7f:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            case 0xa8, 0xa9 where previous == (0xe2, 0x80):
                // U+2028 / U+2029 (E2 80 A8 / A9): the two bytes already written are replaced.
                out.removeLast(2)
                out.append(contentsOf: (byte == 0xa8 ? #"\u2028"# : #"\u2029"#).utf8)
            default: out.append(byte)
            }
            previous = (previous.1, byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The formatted second last used: formatting a date with `gmtime_r` once a
    /// second instead of per line.
    private static let lastSecond = Mutex<(second: Int64, text: String)>((-1, ""))

    /// RFC 3339 in UTC with milliseconds: `2026-11-24T10:15:02.123Z`.
    static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let second = milliseconds / 1000
        let prefix = lastSecond.withLock { cached -> String in
            if cached.second == second { return cached.text }
            var seconds = time_t(second)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let text = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min),
                Int(parts.tm_sec))
            cached = (second, text)
            return text
        }
        let fraction = Int(milliseconds % 1000)
        return prefix + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + String(fraction) + "Z"
    }
}
