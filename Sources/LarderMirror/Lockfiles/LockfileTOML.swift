/// The part of TOML that lockfiles use (Cargo.lock, poetry.lock, uv.lock): `[table]` and
/// `[[array.of.tables]]` headers, `key = value` lines with strings, numbers, booleans, inline
/// tables and arrays (which may span lines). It yields each `[[package]]` entry as a dictionary,
/// sub-tables such as `[package.source]` nested under their name.
enum LockfileTOML {
    /// A TOML value.
    indirect enum Value: Equatable {
        case string(String)
        case number(String)
        case bool(Bool)
        case array([Value])
        case table([String: Value])

        var string: String? { if case .string(let s) = self { s } else { nil } }
        var table: [String: Value]? { if case .table(let t) = self { t } else { nil } }
        var array: [Value]? { if case .array(let a) = self { a } else { nil } }
    }

    /// The entries of the `[[package]]` array of tables.
    static func packages(_ text: String) throws(LockfileError) -> [[String: Value]] {
        var packages: [[String: Value]] = []
        var subtable: String?  // nil: the package itself; "source": [package.source]
        var inPackage = false
        var scanner = Scanner(Array(text.unicodeScalars))
        while true {
            scanner.skipWhitespaceAndComments()
            guard let c = scanner.peek else { break }
            if c == "[" {
                let header = try scanner.header()
                if header == "[package]" {
                    packages.append([:])
                    inPackage = true
                    subtable = nil
                } else if inPackage, header.hasPrefix("[package.") {
                    subtable = String(header.dropFirst("[package.".count).dropLast())
                    packages[packages.count - 1][subtable!] = .table([:])
                } else {
                    inPackage = false
                }
                continue
            }
            let key = try scanner.key()
            scanner.skipSpaces()
            guard scanner.take("=") else { throw scanner.error("expected '=' after '\(key)'") }
            scanner.skipSpaces()
            let value = try scanner.value()
            guard inPackage else { continue }
            if let subtable, case .table(var table)? = packages[packages.count - 1][subtable] {
                table[key] = value
                packages[packages.count - 1][subtable] = .table(table)
            } else {
                packages[packages.count - 1][key] = value
            }
        }
        return packages
    }

    struct Scanner {
        let chars: [Unicode.Scalar]
        var i = 0
        var line = 1
        /// How many arrays and inline tables are open; bounded by `NestingLimit.depth`.
        var depth = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var peek: Unicode.Scalar? { i < chars.count ? chars[i] : nil }

        func error(_ message: String) -> LockfileError { LockfileError("line \(line): \(message)") }

        mutating func take(_ c: Unicode.Scalar) -> Bool {
            guard peek == c else { return false }
            i += 1
            return true
        }

        mutating func skipSpaces() {
            while let c = peek, c == " " || c == "\t" { i += 1 }
        }

        mutating func skipWhitespaceAndComments() {
            while let c = peek {
                if c == "\n" { line += 1; i += 1 } else if c == " " || c == "\t" || c == "\r" { i += 1 } else if c == "#" {
                    while let d = peek, d != "\n" { i += 1 }
                } else { return }
            }
        }

        /// `[name]` or `[[name]]`, returned as `[name]` for both.
        mutating func header() throws(LockfileError) -> String {
            var text = ""
            while let c = peek, c != "\n" {
                text.unicodeScalars.append(c)
                i += 1
            }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let inner = trimmed.replacingOccurrences(of: "[[", with: "[").replacingOccurrences(of: "]]", with: "]")
            guard inner.hasPrefix("["), let close = inner.firstIndex(of: "]") else { throw error("malformed table header '\(trimmed)'") }
            return "[" + inner[inner.index(after: inner.startIndex)..<close].trimmingCharacters(in: .whitespaces) + "]"
        }

        mutating func key() throws(LockfileError) -> String {
            if peek == "\"" { return try basicString() }
            var key = ""
            while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" || c == "." {
                key.unicodeScalars.append(c)
                i += 1
            }
            guard !key.isEmpty else { throw error("expected a key, found '\(peek.map(String.init) ?? "end of file")'") }
            return key
        }

        /// Steps into an array or inline table, refusing nesting deeper than the limit.
        mutating func enter() throws(LockfileError) {
            i += 1
            depth += 1
            guard depth <= NestingLimit.depth else { throw error(NestingLimit.message("lockfile")) }
        }

        mutating func value() throws(LockfileError) -> Value {
            guard let c = peek else { throw error("expected a value, found the end of the file") }
            switch c {
            case "\"": return .string(try basicString())
            case "'": return .string(try literalString())
            case "[":
                try enter()
                defer { depth -= 1 }
                var items: [Value] = []
                while true {
                    skipWhitespaceAndComments()
                    if take("]") { return .array(items) }
                    items.append(try value())
                    skipWhitespaceAndComments()
                    if take(",") { continue }
                    guard take("]") else { throw error("expected ',' or ']' in an array") }
                    return .array(items)
                }
            case "{":
                try enter()
                defer { depth -= 1 }
                var table: [String: Value] = [:]
                while true {
                    skipSpaces()
                    if take("}") { return .table(table) }
                    let k = try key()
                    skipSpaces()
                    guard take("=") else { throw error("expected '=' in an inline table") }
                    skipSpaces()
                    table[k] = try value()
                    skipSpaces()
                    if take(",") { continue }
                    guard take("}") else { throw error("expected ',' or '}' in an inline table") }
                    return .table(table)
                }
            default:
                var word = ""
                while let d = peek, !(d == "," || d == "]" || d == "}" || d == "\n" || d == " " || d == "\t" || d == "#" || d == "\r") {
                    word.unicodeScalars.append(d)
                    i += 1
                }
                switch word {
                case "true": return .bool(true)
                case "false": return .bool(false)
                case "": throw error("expected a value")
                default: return .number(word)
                }
            }
        }

        mutating func basicString() throws(LockfileError) -> String {
            if chars.count >= i + 3, chars[i] == "\"", chars[i + 1] == "\"", chars[i + 2] == "\"" { return try multiline(quote: "\"") }
            i += 1
            var out = ""
            while let c = peek {
                i += 1
                switch c {
                case "\"": return out
                case "\n": throw error("unterminated string")
                case "\\":
                    guard let e = peek else { throw error("unterminated string") }
                    i += 1
                    switch e {
                    case "n": out += "\n"
                    case "t": out += "\t"
                    case "\"": out += "\""
                    case "\\": out += "\\"
                    case "u", "U":
                        let count = e == "u" ? 4 : 8
                        guard i + count <= chars.count, let code = UInt32(String(String.UnicodeScalarView(chars[i..<i + count])), radix: 16), let scalar = Unicode.Scalar(code) else {
                            throw error("malformed unicode escape")
                        }
                        out.unicodeScalars.append(scalar)
                        i += count
                    default: out.unicodeScalars.append(e)
                    }
                default: out.unicodeScalars.append(c)
                }
            }
            throw error("unterminated string")
        }

        mutating func literalString() throws(LockfileError) -> String {
            if chars.count >= i + 3, chars[i] == "'", chars[i + 1] == "'", chars[i + 2] == "'" { return try multiline(quote: "'") }
            i += 1
            var out = ""
            while let c = peek {
                i += 1
                if c == "'" { return out }
                if c == "\n" { throw error("unterminated string") }
                out.unicodeScalars.append(c)
            }
            throw error("unterminated string")
        }

        mutating func multiline(quote: Unicode.Scalar) throws(LockfileError) -> String {
            i += 3
            if peek == "\n" { i += 1; line += 1 }
            var out = ""
            while i < chars.count {
                if chars.count >= i + 3, chars[i] == quote, chars[i + 1] == quote, chars[i + 2] == quote {
                    i += 3
                    return out
                }
                if chars[i] == "\n" { line += 1 }
                out.unicodeScalars.append(chars[i])
                i += 1
            }
            throw error("unterminated multi-line string")
        }
    }
}
