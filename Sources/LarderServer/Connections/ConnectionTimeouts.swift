/// How long a client connection may take at each stage before Larder closes it. The defaults
/// are nginx's (`client_header_timeout`, `client_body_timeout`, `keepalive_timeout`), so a
/// client that connects and says nothing, sends its headers a byte at a time, or keeps an idle
/// connection open holds a descriptor for a bounded time. A response being written is never
/// cut by these.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// For a whole request head, counted from its first byte; on a new connection, from the
    /// connection's opening.
    public var header: Duration = .seconds(60)
    /// Between two reads of a request body.
    public var body: Duration = .seconds(60)
    /// How long a connection stays open without a request after a response.
    public var keepAlive: Duration = .seconds(75)

    /// The defaults.
    public init() {}
}
