/// Timeouts for upstream requests.
public struct UpstreamTimeouts: Sendable {
    /// Time allowed to connect.
    public var connect: Duration
    /// Time allowed between two reads of a response.
    public var read: Duration
    /// Time allowed for a whole pass-through request, which must fail fast.
    public var passthrough: Duration
    /// After an upstream host could not be reached, how long requests to it fail at once
    /// (metadata is then served stale without waiting) before it is tried again.
    public var retryAfterFailure: Duration

    /// Creates timeouts.
    public init(connect: Duration = .seconds(10), read: Duration = .seconds(60), passthrough: Duration = .seconds(30), retryAfterFailure: Duration = .seconds(5)) {
        self.connect = connect
        self.read = read
        self.passthrough = passthrough
        self.retryAfterFailure = retryAfterFailure
    }
}
