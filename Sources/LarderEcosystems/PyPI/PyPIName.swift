/// PEP 503 project-name normalisation: runs of `-`, `_` and `.` become one `-`, letters are
/// lower-cased.
public enum PyPIName {
    /// The normalised form of `name`.
    public static func normalize(_ name: String) -> String {
        var out = ""
        out.reserveCapacity(name.count)
        var pendingSeparator = false
        for c in name {
            if c == "-" || c == "_" || c == "." {
                pendingSeparator = true
            } else {
                if pendingSeparator && !out.isEmpty { out.append("-") }
                pendingSeparator = false
                out.append(contentsOf: c.lowercased())
            }
        }
        return out
    }

    /// Whether `name` is a valid project name (PEP 508: letters, digits, `-`, `_`, `.`,
    /// starting and ending with a letter or digit).
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.first, let last = name.last, first.isASCII && (first.isLetter || first.isNumber),
            last.isASCII && (last.isLetter || last.isNumber)
        else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
