/// Module paths and versions as the GOPROXY protocol writes them: upper-case letters escaped as
/// `!` and the lower-case letter (`github.com/!burnt!sushi/toml`), so that paths work on
/// case-insensitive file systems.
public enum GoModulePath {
    /// The longest escaped module path or version Larder accepts.
    static let maxLength = 500

    /// Whether `path` is an escaped module path: `/`-separated elements of lower-case letters,
    /// digits, `-`, `.`, `_`, `~` and valid `!` escapes, none empty, `.` or `..`.
    public static func isEscapedPath(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= maxLength else { return false }
        let elements = path.split(separator: "/", omittingEmptySubsequences: false)
        return elements.allSatisfy { element in
            element != "." && element != ".." && !element.hasPrefix(".") && isEscaped(element, extra: "-._~")
        }
    }

    /// Whether `version` is an escaped version: lower-case letters, digits, `-`, `.`, `+`, `_`
    /// and valid `!` escapes, not empty and not `.` or `..`.
    public static func isEscapedVersion(_ version: String) -> Bool {
        !version.isEmpty && version.utf8.count <= 200 && version != "." && version != ".." && isEscaped(Substring(version), extra: "-.+_")
    }

    private static func isEscaped(_ text: Substring, extra: String) -> Bool {
        guard !text.isEmpty else { return false }
        var escaping = false
        for character in text.unicodeScalars {
            if escaping {
                guard character.properties.isLowercase, character.isASCII else { return false }
                escaping = false
            } else if character == "!" {
                escaping = true
            } else if !(character.isASCII && (("a"..."z").contains(character) || ("0"..."9").contains(character) || extra.unicodeScalars.contains(character))) {
                return false
            }
        }
        return !escaping
    }

    /// `!x` turned back into `X`: the path or version as `go.sum` and the checksum database write it.
    public static func unescape(_ escaped: String) -> String {
        var out = ""
        var escaping = false
        for character in escaped {
            if escaping {
                out += character.uppercased()
                escaping = false
            } else if character == "!" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// Upper-case letters escaped as `!` and the lower-case letter.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if character.isUppercase && character.isASCII {
                out += "!" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}
