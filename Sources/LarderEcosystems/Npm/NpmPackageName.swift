public import LarderCore

/// An npm package name, plain (`lodash`) or scoped (`@types/node`).
public struct NpmPackageName: Sendable, Hashable, CustomStringConvertible {
    /// The scope without `@`, if any.
    public let scope: String?
    /// The name within the scope.
    public let name: String

    /// Parses and validates a full name (`@scope/name` or `name`).
    public init(_ full: String) throws(LarderError) {
        if full.hasPrefix("@") {
            let parts = full.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .badRequest("'\(full)' is not a valid scoped npm package name (expected @scope/name)") }
            scope = String(parts[0])
            name = String(parts[1])
            try Self.check(scope!, in: full)
        } else {
            scope = nil
            name = full
        }
        try Self.check(name, in: full)
    }

    private static func check(_ part: String, in full: String) throws(LarderError) {
        guard !part.isEmpty, part.count <= 214, !part.hasPrefix("."), part != "node_modules", part != "favicon.ico",
            part.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~!*'()".contains($0)) })
        else { throw .badRequest("'\(full)' is not a valid npm package name") }
    }

    /// `@scope/name` or `name`.
    /// The version a tarball's file name (`<name>-<version>.tgz`) carries, if it has that form.
    public func version(ofTarball filename: String) -> String? {
        guard filename.hasPrefix(name + "-"), filename.hasSuffix(".tgz"), filename.count > name.count + 5 else { return nil }
        return String(filename.dropFirst(name.count + 1).dropLast(4))
    }

    public var description: String { scope.map { "@\($0)/\(name)" } ?? name }

    /// The form used in registry URLs: the scope's slash encoded (`@scope%2fname`).
    public var urlPath: String { scope.map { "@\($0)%2f\(name)" } ?? name }
}
