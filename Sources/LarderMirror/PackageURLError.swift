/// Why a package URL was refused. Syntax errors and violations of a type's rules are told
/// apart, as the Package URL specification asks.
public struct PackageURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Equatable {
        /// The string is not a package URL (scheme, separators, characters).
        case syntax
        /// The components break the rules of the package type (a missing namespace, say).
        case typeRule
    }

    /// The class of problem.
    public let kind: Kind
    /// What is wrong, for the user.
    public let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
