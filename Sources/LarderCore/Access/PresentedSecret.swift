public import Foundation

/// The secret a client presents in `Authorization`, the ways package clients send one:
/// `Bearer <secret>` (npm's `_authToken`, OCI, Terraform), `Basic base64(user:secret)` with any
/// user name (pip, Maven, Go's netrc, gem, composer), or the bare secret (Cargo's registry
/// token). Nil when the header holds none of these.
public enum PresentedSecret {
    /// The longest `Authorization` value read.
    static let maxLength = 4096

    /// The secret in `authorization`, or nil.
    public static func from(authorization: String) -> String? {
        let value = authorization.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, value.utf8.count <= maxLength else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            switch parts[0].lowercased() {
            case "bearer", "token":
                return parts[1].trimmingCharacters(in: .whitespaces)
            case "basic":
                guard let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)), let text = String(data: data, encoding: .utf8),
                    let colon = text.firstIndex(of: ":")
                else { return nil }
                let user = String(text[..<colon])
                let password = String(text[text.index(after: colon)...])
                // A token given as the user name with an empty password (some netrc setups).
                return password.isEmpty ? user : password
            default:
                return nil
            }
        }
        return value
    }
}
