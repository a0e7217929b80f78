/// A configuration problem, with a message naming the key and where its value came from.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
