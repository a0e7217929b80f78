import NIOCore
import NIOHTTP1

/// Answers repeated cache hits inside the connection's pipeline, before Hummingbird: a `GET` or
/// `HEAD` without a body, conditions, ranges or `Via`, for a target `FastHits` holds a current
/// answer for, from a reader access control clears from memory (anonymous where anonymous
/// reads are allowed, or a token looked up lately), is answered at once from memory;
/// everything else goes on to the router. While a
/// request is with the router, later requests on the connection follow it there, so answers
/// leave in the order their requests came.
final class FastHitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let hits: FastHits
    /// Requests handed to the router whose answer has not ended yet.
    private var routed = 0
    /// The request being answered here: its head (in case it turns out to have a body after
    /// all) and the answer.
    private var pending: (head: HTTPRequestHead, answer: FastHits.Prepared, token: String?)?

    /// Request headers that make an answer depend on more than the target.
    private static let disqualifying = [
        "range", "if-range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "via", "content-length", "transfer-encoding", "expect",
        "x-checksum-sha256",
    ]

    /// Who may read on this listener; a request it cannot clear from memory goes to the router.
    private let access: AccessControl

    init(hits: FastHits, access: AccessControl) {
        self.hits = hits
        self.access = access
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if routed == 0, head.method == .GET || head.method == .HEAD, Self.plain(head.headers), let reader = access.rememberedReader(head.headers),
                let answer = hits.answer(for: head.uri, reader: reader)
            {
                pending = (head, answer, reader?.name)
                return
            }
            routed += 1
            context.fireChannelRead(data)
        case .body:
            if let (head, _, _) = pending {
                // A body the headers did not announce: the router deals with it.
                pending = nil
                routed += 1
                context.fireChannelRead(wrapInboundOut(.head(head)))
            }
            context.fireChannelRead(data)
        case .end:
            guard let (head, answer, token) = pending else { return context.fireChannelRead(data) }
            pending = nil
            var responseHead = answer.head
            responseHead.headers.add(name: "Date", value: hits.now())
            let isHead = head.method == .HEAD
            // Counted before it is sent, so a client that has the answer sees it counted.
            hits.served(answer, head: isHead, target: head.uri, client: context.channel.remoteAddress, token: token)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            if !isHead { context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { routed = max(routed - 1, 0) }
        context.write(data, promise: promise)
    }

    /// Whether nothing in `headers` makes the answer depend on more than the target, and the
    /// `Host` is one the router would accept.
    private static func plain(_ headers: HTTPHeaders) -> Bool {
        for name in disqualifying where headers.contains(name: name) { return false }
        let hosts = headers["host"]
        return hosts.count <= 1 && hosts.allSatisfy(RequestAuthority.isValid)
    }
}
