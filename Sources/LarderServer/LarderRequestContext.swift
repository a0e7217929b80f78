public import Hummingbird
public import NIOCore

/// The request context Larder's responder gets: Hummingbird's core context and the client's
/// address (for the access log).
public struct LarderRequestContext: RequestContext {
    /// Hummingbird's core context.
    public var coreContext: CoreRequestContextStorage
    /// The address of the client's end of the connection.
    public let remoteAddress: SocketAddress?

    /// Creates the context of a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

extension SocketAddress {
    /// The address without its port (`127.0.0.1`, `::1`), or the socket path.
    var hostText: String {
        switch self {
        case .v4, .v6: return ipAddress ?? "\(self)"
        case .unixDomainSocket: return pathname ?? "unix"
        }
    }
}
