public import LarderCore

/// Repository names, tags and digests as the OCI distribution specification defines them,
/// checked before anything is fetched.
public enum OCIName {
    /// Whether `name` is a repository name: path components of lower-case letters and digits
    /// separated by `.`, `_`, `__` or dashes, joined by `/`.
    public static func isRepository(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255 else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(isComponent)
    }

    private static func isComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if alnum(bytes[i]) {
                i += 1
                continue
            }
            // A separator: ".", "_", "__" or one or more "-", between alphanumerics.
            let start = i
            if bytes[i] == UInt8(ascii: "-") {
                while i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            } else if bytes[i] == UInt8(ascii: "_") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "_") { i += 1 }
            } else if bytes[i] == UInt8(ascii: ".") {
                i += 1
            } else {
                return false
            }
            guard i < bytes.count, alnum(bytes[i]), start > 0 else { return false }
        }
        return true
    }

    /// Whether `tag` is a tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with
    /// `.` or `-`.
    public static func isTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
        }
    }

    /// The SHA-256 a `sha256:<hex>` digest names; nil for anything else. Other algorithms are
    /// refused with a message, since Larder verifies SHA-256.
    public static func sha256(_ digest: String) throws(LarderError) -> Integrity? {
        guard digest.contains(":") else { return nil }
        guard digest.hasPrefix("sha256:"), let integrity = Integrity(algorithm: .sha256, hex: String(digest.dropFirst(7))), integrity.hex == digest.dropFirst(7) else {
            throw LarderError(.badRequest, "'\(digest.prefix(100))' is not a digest Larder can verify (sha256:<64 lower-case hex digits>)", code: "DIGEST_INVALID")
        }
        return integrity
    }
}
