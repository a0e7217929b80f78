import Foundation
import LarderCore
import NIOCore
import NIOHTTP1
import Synchronization

/// Answers the engine gave that may be sent again (`EngineResponse.reusable`: whole, small,
/// immutable artifacts), by request target, so that a repeated cache hit is answered by
/// `FastHitHandler` in the connection's pipeline: no router, no adapter, no task, one lookup
/// here and one in the engine's memory to check the entry is still current. Bounded by the
/// bytes of the bodies it holds (which share their storage with the engine's memory cache).
final class FastHits: Sendable {
    /// A prepared answer.
    struct Prepared: Sendable {
        /// The entry it was made from.
        var hit: ReusableHit
        /// Status and headers, without `Date` (added when sent).
        var head: HTTPResponseHead
        /// The body.
        var body: ByteBuffer
        /// The ecosystem and package of the request it answered, for the access log.
        var ecosystem: String?
        var package: PackageRef?
    }

    private let table: LRUCache<String, Prepared>
    private let engine: Engine
    /// Which restricted upstreams each reader may read: answers are kept per granted set.
    private let grants: UpstreamGrants
    /// Where access log lines go, if anywhere.
    private let accessLog: AccessLog?
    private let date = Mutex<(second: Int, text: String)>((0, ""))
    /// Answers sent from here, for tests.
    let servedCount = Atomic<Int>(0)

    /// A table holding at most `capacity` bytes of bodies; answers sent from it are logged to
    /// `accessLog`.
    init(engine: Engine, capacity: Int, grants: UpstreamGrants, accessLog: AccessLog? = nil) {
        self.engine = engine
        self.grants = grants
        self.accessLog = accessLog
        self.table = LRUCache(capacity: capacity)
    }

    /// Where the answer for `target` to a reader granted the restricted upstreams tagged `view`
    /// is kept: readers granted different upstreams see different caches.
    private static func slot(_ target: String, view: String) -> String {
        view.isEmpty ? target : view + "\u{1}" + target
    }

    /// Keeps `answer` for `target`, as answered to a reader whose grant is tagged `view`, if the
    /// engine marked it reusable.
    func keep(_ answer: EngineResponse, target: String, view: String, serverName: String, ecosystem: String? = nil, package: PackageRef? = nil) {
        guard let hit = answer.reusable, answer.status == 200, case .buffer(let body) = answer.body else { return }
        var headers = HTTPHeaders()
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        headers.add(name: "Server", value: serverName)
        table.set(Self.slot(target, view: view), Prepared(hit: hit, head: HTTPResponseHead(version: .http1_1, status: .ok, headers: headers), body: body, ecosystem: ecosystem, package: package), cost: body.readableBytes + target.utf8.count)
    }

    /// The answer kept for `target` for `reader` (nil: anonymous), if its entry is still
    /// current; an outdated one is dropped.
    func answer(for target: String, reader: AccessToken?) -> Prepared? {
        let slot = grants.isEmpty ? target : Self.slot(target, view: grants.grant(for: reader).tag)
        guard let prepared = table.get(slot) else { return nil }
        guard engine.isCurrent(prepared.hit) else {
            table.remove(slot)
            return nil
        }
        return prepared
    }

    /// Counts a hit answered from here, and logs it where there is an access log.
    func served(_ prepared: Prepared, head: Bool, target: String, client: SocketAddress?, token: String?) {
        engine.recordReusedHit(prepared.hit, bytes: prepared.body.readableBytes, head: head)
        servedCount.add(1, ordering: .relaxed)
        guard let accessLog else { return }
        accessLog.record(AccessLogEntry(
            time: Date(), client: client?.hostText, token: token, method: head ? "HEAD" : "GET", path: String(target.prefix(1000)), ecosystem: prepared.ecosystem,
            package: prepared.package, cache: "HIT", status: 200, bytes: head ? 0 : prepared.body.readableBytes, milliseconds: 0))
    }

    /// The current `Date` header value, formatted once a second.
    func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        return date.withLock { cached in
            if cached.second != second { cached = (second, HTTPDate.format(Date(timeIntervalSince1970: TimeInterval(second)))) }
            return cached.text
        }
    }
}
