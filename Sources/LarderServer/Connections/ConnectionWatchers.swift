import NIOCore
import NIOHTTP1

/// Sits next to the socket and tells the clock when bytes arrive (the first byte of a request
/// head starts the header timeout, before the head can be decoded).
final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let clock: ConnectionClock

    init(clock: ConnectionClock) { self.clock = clock }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { clock.opened() }
    }

    func channelActive(context: ChannelHandlerContext) {
        clock.opened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.closed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { clock.closed() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// Sits after the HTTP/1 decoder: tells the clock where each request and response stands, and
/// closes the connection after the response when the client did not ask to keep it (HTTP/1.0
/// without `keep-alive`, or `Connection: close`) or asked to upgrade it (`Upgrade: h2c`, which
/// Cargo and curl send over plain HTTP). Larder does not upgrade, and NIO's decoder reads
/// nothing more on a connection after an upgrade request, so a client reusing it would wait
/// forever; closed, it opens a new one. HTTP/1.0 clients get HTTP/1.0 answers, which are never
/// chunked.
final class MessageWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let clock: ConnectionClock
    /// The versions and keep-alive wishes of requests not yet answered, oldest first.
    private var requests: [(version: HTTPVersion, keepAlive: Bool)] = []

    init(clock: ConnectionClock) { self.clock = clock }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            clock.headArrived()
            let keepAlive = head.isKeepAlive && !Self.asksToUpgrade(head)
            requests.append((head.version, keepAlive))
            // The request handler stops reading the connection after a request that says close.
            if !keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
            Self.settleAuthority(&head)
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            clock.requestEnded()
            context.fireChannelRead(data)
        }
    }

    /// Whether the request asks to switch protocols (an `Upgrade` header, or `CONNECT`).
    static func asksToUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "upgrade") || head.method == .CONNECT
    }

    /// Leaves one `Host` header naming the request's authority: an absolute-form target's own
    /// (which replaces `Host`, its target becoming origin-form), or an invalid value when the
    /// request has several, so that links are never built from an ambiguous host.
    static func settleAuthority(_ head: inout HTTPRequestHead) {
        if let absolute = RequestAuthority.absoluteForm(head.uri) {
            head.uri = absolute.target
            head.headers.replaceOrAdd(name: "host", value: absolute.authority)
        } else if head.headers["host"].count > 1 {
            head.headers.replaceOrAdd(name: "host", value: "(several Host headers)")
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if let request = requests.first {
                if request.version == .http1_0 { head.version = .http1_0 }
                if !request.keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let request = requests.isEmpty ? nil : requests.removeFirst()
            clock.responseEnded()
            guard let request, !request.keepAlive else { return context.write(data, promise: promise) }
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
