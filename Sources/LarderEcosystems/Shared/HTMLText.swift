import Foundation

/// Escaping and unescaping of HTML text and attribute values.
enum HTMLText {
    /// Escapes `&`, `<`, `>`, `"` and `'`.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    private static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{a0}"]

    /// Decodes named and numeric character references.
    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = s[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = after[..<semi]
                var decoded: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    decoded = named[String(name)]
                }
                if let decoded {
                    out += decoded
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }
}

/// An `<a>` element found in an HTML page.
struct HTMLAnchor: Equatable {
    /// Attributes by lower-cased name, values unescaped; a bare attribute has an empty value.
    var attributes: [String: String]
    /// The element's text, tags removed and unescaped, trimmed.
    var text: String

    /// Every anchor in `html`, in order. Tolerant of the HTML registries produce: any case,
    /// single, double or no quotes, attributes without values.
    static func all(in html: String) -> [HTMLAnchor] {
        var anchors: [HTMLAnchor] = []
        let chars = Array(html.unicodeScalars)
        var i = 0
        func isA(_ k: Int) -> Bool { k < chars.count && (chars[k] == "a" || chars[k] == "A") }
        func isSpace(_ k: Int) -> Bool { k < chars.count && (chars[k] == " " || chars[k] == "\t" || chars[k] == "\n" || chars[k] == "\r") }
        while i < chars.count {
            guard chars[i] == "<", isA(i + 1), i + 2 < chars.count, isSpace(i + 2) || chars[i + 2] == ">" else {
                i += 1
                continue
            }
            i += 2
            var attributes: [String: String] = [:]
            // Attributes.
            while i < chars.count && chars[i] != ">" {
                while isSpace(i) || (i < chars.count && chars[i] == "/") { i += 1 }
                var name = ""
                while i < chars.count && chars[i] != "=" && chars[i] != ">" && !isSpace(i) {
                    name.unicodeScalars.append(chars[i])
                    i += 1
                }
                while isSpace(i) { i += 1 }
                var value = ""
                if i < chars.count && chars[i] == "=" {
                    i += 1
                    while isSpace(i) { i += 1 }
                    if i < chars.count && (chars[i] == "\"" || chars[i] == "'") {
                        let quote = chars[i]
                        i += 1
                        while i < chars.count && chars[i] != quote {
                            value.unicodeScalars.append(chars[i])
                            i += 1
                        }
                        i += 1
                    } else {
                        while i < chars.count && chars[i] != ">" && !isSpace(i) {
                            value.unicodeScalars.append(chars[i])
                            i += 1
                        }
                    }
                }
                if !name.isEmpty { attributes[name.lowercased()] = HTMLText.unescape(value) }
            }
            i += 1
            // Text up to </a>.
            var text = ""
            var inTag = false
            while i < chars.count {
                if chars[i] == "<" && i + 3 < chars.count && chars[i + 1] == "/" && isA(i + 2) && chars[i + 3] == ">" {
                    i += 4
                    break
                }
                if chars[i] == "<" { inTag = true } else if chars[i] == ">" { inTag = false } else if !inTag { text.unicodeScalars.append(chars[i]) }
                i += 1
            }
            anchors.append(HTMLAnchor(attributes: attributes, text: HTMLText.unescape(text).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return anchors
    }
}
