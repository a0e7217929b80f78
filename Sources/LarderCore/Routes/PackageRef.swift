/// The package (and version) a request is about, in the terms of its ecosystem's Package URL
/// type: `name` is the Package URL's namespace and name joined by `/` (`@types/node`,
/// `org.example/lib`, `larder.test/lib`), `version` its version, nil for a request about the
/// whole package (its metadata document). Access log lines and policy rules name packages so.
public struct PackageRef: Sendable, Hashable, CustomStringConvertible {
    /// Namespace and name, joined by `/`.
    public var name: String
    /// The version, or nil for the package as a whole.
    public var version: String?

    /// A package, or one version of it.
    public init(_ name: String, version: String? = nil) {
        self.name = name
        self.version = version
    }

    /// `name@version`, or `name`.
    public var description: String { version.map { "\(name)@\($0)" } ?? name }
}
