/// What a token may do, each role including the ones before it: `read` installs packages;
/// `write` also fills the cache and starts mirror jobs; `admin` also manages tokens.
public enum AccessRole: String, Sendable, Codable, CaseIterable, Comparable {
    case read
    case write
    case admin

    public static func < (a: AccessRole, b: AccessRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
