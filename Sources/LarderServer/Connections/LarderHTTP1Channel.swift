import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL

/// Hummingbird's HTTP/1.1 child channel with Larder's connection handling: the timeouts of
/// `ConnectionTimeouts` and closing connections whose client did not ask to keep them.
struct LarderHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// Answers each request.
    let responder: HTTPChannelHandler.Responder
    /// The connection timeouts.
    let timeouts: ConnectionTimeouts
    /// Repeated cache hits answered before the router; nil to send every request to it.
    let fastHits: FastHits?
    /// Who may read on this listener, for the fast path.
    let access: AccessControl
    /// The TLS context connections are served over; nil for plain HTTP.
    let tls: NIOSSLContext?

    /// A channel answering with `responder` under `timeouts`, repeated hits from `fastHits`,
    /// over TLS when `tls` is given.
    init(responder: @escaping HTTPChannelHandler.Responder, timeouts: ConnectionTimeouts, fastHits: FastHits?, access: AccessControl, tls: NIOSSLContext?) {
        self.access = access
        self.responder = responder
        self.timeouts = timeouts
        self.fastHits = fastHits
        self.tls = tls
    }

    /// Builds the connection's pipeline: TLS when configured, byte watcher, HTTP/1 codec, message watcher, the fast
    /// path for repeated hits, the conversion to HTTP types, and Hummingbird's connection state
    /// (graceful shutdown).
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let clock = ConnectionClock(timeouts: timeouts, channel: channel, logger: logger)
            let pipeline = channel.pipeline.syncOperations
            if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
            try pipeline.addHandler(ByteWatcher(clock: clock))
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: .init())
            try pipeline.addHandler(MessageWatcher(clock: clock))
            if let fastHits { try pipeline.addHandler(FastHitHandler(hits: fastHits, access: access)) }
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try Self.wrap(channel)
        }
    }

    /// The connection as an async channel that closes it if it is dropped unserved. A
    /// connection accepted while the server stops can be dropped before its first event; wrapped
    /// with `wrappingChannelSynchronously` (no teardown on deinit), its writer then stops the
    /// whole process on a precondition. The deprecated initializer is used on purpose.
    static func wrap(_ channel: any Channel) throws -> Value {
        try NIOAsyncChannel(synchronouslyWrapping: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
    }

    /// Serves the connection's requests.
    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
