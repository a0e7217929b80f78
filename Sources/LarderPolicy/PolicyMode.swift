/// Which packages may enter at all (`mode`).
public enum PolicyMode: String, Sendable, CaseIterable {
    /// Any package not blocked or revoked.
    case open
    /// Only declared packages (and of them, only declared versions).
    case declaredOnly = "declared-only"
}
