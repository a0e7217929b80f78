import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
public import NIOSSL
import Logging
public import NIOCore
import ServiceLifecycle
import Synchronization

/// A registry on loopback serving fixed answers, for tests and benchmarks: it counts requests,
/// answers conditional requests, and can misbehave on demand (cut a body short, serve other
/// bytes, stall) so the engine's failure handling can be exercised.
public final class FixtureRegistry: Sendable {
    /// One fixed answer.
    public struct Resource: Sendable {
        /// The status.
        public var status: Int
        /// The body.
        public var body: ByteBuffer
        /// The content type.
        public var contentType: String
        /// An ETag; conditional requests naming it get 304.
        public var etag: String?
        /// A Last-Modified date; `If-Modified-Since` at or after it gets 304.
        public var lastModified: String?
        /// Further headers (`Location` for a redirect, a challenge).
        public var headers: [(String, String)]
        /// How to misbehave.
        public var fault: Fault

        /// Creates a resource.
        public init(status: Int = 200, body: ByteBuffer, contentType: String = "application/octet-stream", etag: String? = nil, lastModified: String? = nil, headers: [(String, String)] = [], fault: Fault = .none) {
            self.status = status
            self.body = body
            self.contentType = contentType
            self.etag = etag
            self.lastModified = lastModified
            self.headers = headers
            self.fault = fault
        }

        /// A redirect to `location`.
        public static func redirect(_ location: String, status: Int = 302) -> Resource {
            Resource(status: status, body: ByteBuffer(), contentType: "text/plain", headers: [("Location", location)])
        }
    }

    /// Ways to misbehave.
    public enum Fault: Sendable {
        case none
        /// Announce the full length, send this many bytes, then close the connection.
        case cutAfter(Int)
        /// Wait this long before answering.
        case delay(Duration)
        /// Send the body in small pieces, pausing between them.
        case trickle(pieces: Int, pause: Duration)
        /// Answer only once the gate is opened (a silent upstream, until the test says).
        case gate(FixtureGate)
        /// Sends the first bytes of the body, waits at the gate, then sends the rest; without a
        /// `Content-Length`, so the client cannot know the end has not come.
        case pauseAfter(Int, FixtureGate)
    }

    /// A request the registry received.
    public struct Received: Sendable {
        /// The method.
        public var method: String
        /// The path, without query.
        public var path: String
        /// Headers by lower-case name.
        public var headers: [String: String]
        /// The query, if any, as sent.
        public var query: String?
    }

    /// Who may read below a path prefix: `allows` judges each request, and a refused one gets
    /// 401 with `challenge` as `WWW-Authenticate`.
    public struct Guard: Sendable {
        var prefix: String
        var challenge: String
        var allows: @Sendable (Received) -> Bool

        /// HTTP basic authentication with one user.
        public static func basic(_ prefix: String, user: String, password: String) -> Guard {
            let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            return Guard(prefix: prefix, challenge: "Basic realm=\"fixture\"") { $0.headers["authorization"] == expected }
        }

        /// A custom rule.
        public static func custom(_ prefix: String, challenge: String, allows: @escaping @Sendable (Received) -> Bool) -> Guard {
            Guard(prefix: prefix, challenge: challenge, allows: allows)
        }
    }

    /// What the registry serves and has seen, shared with its request handler.
    final class State: Sendable {
        let resources = Mutex<[String: Resource]>([:])
        let handlers = Mutex<[String: @Sendable (Received) -> Resource]>([:])
        let guards = Mutex<[Guard]>([])
        let log = Mutex<[Received]>([])
        let task = Mutex<Task<Void, any Error>?>(nil)
        /// Tags published per OCI repository.
        let ociTags = Mutex<[String: [String]]>([:])
        /// Projects published with `publishPyPI`, for the root page.
        let pypiProjects = Mutex<Set<String>>([])
        /// Version documents (JSON) published with `publishNpm`, by package and version.
        let npmVersions = Mutex<[String: [String: Data]]>([:])
        /// Publish times given with `publishNpm`, by package and version.
        let npmTimes = Mutex<[String: [String: Date]]>([:])
        /// Versions published with `publishMaven`, by repository prefix, group and artifact.
        let mavenVersions = Mutex<[String: Set<String>]>([:])
        /// Index lines published with `publishCrate`, by index path.
        let cargoIndex = Mutex<[String: [String]]>([:])
        /// Versions published with `publishGoModule`, by escaped module path.
        let goVersions = Mutex<[String: [String]]>([:])
        /// Gems published with `publishGems`, by file name, with their dependencies.
        let gems = Mutex<[String: FixtureGem]>([:])
    }

    let state = State()

    /// The bound port.
    public let port: Int
    /// Whether it serves https.
    public let isTLS: Bool

    /// The registry's root URL (`http://127.0.0.1:PORT`, or https).
    public var url: String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)" }

    /// Starts a registry on a free loopback port (or `port`, to restart one at the same address),
    /// over https when `tls` is given.
    public init(port: Int = 0, tls: TLSConfiguration? = nil) async throws {
        let state = self.state
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let path = request.head.path.map { String($0.split(separator: "?", maxSplits: 1).first ?? "") } ?? "/"
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let query = request.head.path.flatMap { $0.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
            let received = Received(method: request.method.rawValue, path: path, headers: headers, query: query)
            state.log.withLock { $0.append(received) }
            if let refused = state.guards.withLock({ $0.first { path.hasPrefix($0.prefix) && !$0.allows(received) } }) {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: refused.challenge, .contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "authentication required\n")))
            }
            let resource = state.handlers.withLock({ $0[path] }).map { $0(received) } ?? state.resources.withLock({ $0[path] })
            guard let resource else {
                return Response(status: .notFound, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "fixture has no \(path)\n")))
            }
            return try await FixtureRegistry.answer(resource, request: request)
        }
        var logger = Logger(label: "fixture")
        logger.logLevel = .critical
        let configuration = ApplicationConfiguration(address: .hostname("127.0.0.1", port: port))
        let onRunning: @Sendable (any Channel) async -> Void = { continuation.yield($0.localAddress?.port ?? 0) }
        let running: Task<Void, any Error>
        if let tls {
            let app = Application(responder: responder, server: try .tls(tlsConfiguration: tls), configuration: configuration, onServerRunning: onRunning, logger: logger)
            running = Task { try await app.run() }
        } else {
            let app = Application(responder: responder, configuration: configuration, onServerRunning: onRunning, logger: logger)
            running = Task { try await app.run() }
        }
        var bound = 0
        for await p in stream {
            bound = p
            break
        }
        self.port = bound
        self.isTLS = tls != nil
        state.task.withLock { $0 = running }
    }

    private static func answer(_ resource: Resource, request: Request) async throws -> Response {
        var headers: HTTPFields = [.contentType: resource.contentType]
        for (name, value) in resource.headers {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
        }
        if let lastModified = resource.lastModified { headers[.lastModified] = lastModified }
        if let etag = resource.etag {
            headers[.eTag] = etag
            if request.headers[.ifNoneMatch] == etag {
                return Response(status: .notModified, headers: headers)
            }
        }
        if request.headers[.ifNoneMatch] == nil, let lastModified = resource.lastModified, let since = request.headers[.ifModifiedSince], since == lastModified {
            return Response(status: .notModified, headers: headers)
        }
        if case .pauseAfter = resource.fault {} else { headers[.contentLength] = "\(resource.body.readableBytes)" }
        let status = HTTPResponse.Status(code: resource.status)
        if request.method == .head {
            return Response(status: status, headers: headers, body: ResponseBody(contentLength: resource.body.readableBytes) { writer in try await writer.finish(nil) })
        }
        switch resource.fault {
        case .none:
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: resource.body))
        case .delay(let duration):
            try await Task.sleep(for: duration)
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: resource.body))
        case .gate(let gate):
            await gate.wait()
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: resource.body))
        case .pauseAfter(let count, let gate):
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                var body = resource.body
                try await writer.write(body.readSlice(length: min(count, body.readableBytes))!)
                await gate.wait()
                if body.readableBytes > 0 { try await writer.write(body) }
                try await writer.finish(nil)
            })
        case .cutAfter(let count):
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                try await writer.write(resource.body.getSlice(at: resource.body.readerIndex, length: min(count, resource.body.readableBytes))!)
                try await Task.sleep(for: .milliseconds(50))
                throw FixtureCut()
            })
        case .trickle(let pieces, let pause):
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                var body = resource.body
                let size = max(1, body.readableBytes / max(pieces, 1))
                while body.readableBytes > 0 {
                    try await writer.write(body.readSlice(length: min(size, body.readableBytes))!)
                    try await Task.sleep(for: pause)
                }
                try await writer.finish(nil)
            })
        }
    }

    struct FixtureCut: Error {}

    /// Serves `resource` at `path`.
    public func set(_ path: String, _ resource: Resource) {
        state.resources.withLock { $0[path] = resource }
    }

    /// What is served at `path`, if anything.
    public func resource(_ path: String) -> Resource? {
        state.resources.withLock { $0[path] }
    }

    /// Serves `body` at `path`.
    public func set(_ path: String, body: ByteBuffer, contentType: String = "application/octet-stream", etag: String? = nil, fault: Fault = .none) {
        set(path, Resource(body: body, contentType: contentType, etag: etag, fault: fault))
    }

    /// Answers requests for `path` with what `handler` returns for each.
    public func handle(_ path: String, _ handler: @escaping @Sendable (Received) -> Resource) {
        state.handlers.withLock { $0[path] = handler }
    }

    /// Refuses requests the guard does not allow, with 401 and its challenge.
    public func protect(_ guard: Guard) {
        state.guards.withLock { $0.append(`guard`) }
    }

    /// Every request received, in order.
    public var received: [Received] { state.log.withLock { $0 } }

    /// Stops serving `path` (it answers 404).
    public func remove(_ path: String) {
        _ = state.resources.withLock { $0.removeValue(forKey: path) }
    }

    /// How many requests `path` received (with `method`, or any).
    public func requests(to path: String, method: String? = nil) -> Int {
        state.log.withLock { log in log.filter { $0.path == path && (method == nil || $0.method == method) }.count }
    }

    /// All requests received, by path.
    public var requestCounts: [String: Int] {
        state.log.withLock { log in log.reduce(into: [:]) { $0[$1.path, default: 0] += 1 } }
    }

    /// Stops the server; its port then refuses connections.
    public func stop() async {
        guard let running = state.task.withLock({ t -> Task<Void, any Error>? in defer { t = nil }; return t }) else { return }
        running.cancel()
        _ = try? await running.value
    }
}

/// Holds fixture answers (or anything a test runs) back until the test opens it, and lets the
/// test await arrivals instead of sleeping.
public final class FixtureGate: Sendable {
    private struct State {
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var arrived = 0
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// A closed gate.
    public init() {}

    /// Lets every held answer, and every later one, through.
    public func open() {
        let waiting = state.withLock { s in
            s.open = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// How many answers have reached the gate.
    public var arrived: Int { state.withLock { $0.arrived } }

    /// Returns once `count` arrivals have reached the gate.
    public func arrivals(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = state.withLock { s -> Bool in
                if s.arrived >= count { return true }
                s.watchers.append((count, continuation))
                return false
            }
            if reached { continuation.resume() }
        }
    }

    /// Arrives at the gate and waits until it is open.
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (pass, reached) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                s.arrived += 1
                let arrived = s.arrived
                let reached = s.watchers.filter { $0.count <= arrived }.map(\.continuation)
                s.watchers.removeAll { $0.count <= arrived }
                if s.open { return (true, reached) }
                s.waiting.append(continuation)
                return (false, reached)
            }
            for watcher in reached { watcher.resume() }
            if pass { continuation.resume() }
        }
    }
}

/// Runs `body`, then stops `registries` and waits until they have stopped, whether `body`
/// threw or not: a test leaves no server running behind it.
public func stopping(_ registries: FixtureRegistry..., body: () async throws -> Void) async throws {
    try await stopping(registries, body: body)
}

/// `stopping` over a list; `before` stops first (a server in front of the registries).
func stopping(_ registries: [FixtureRegistry], before: (() async -> Void)? = nil, body: () async throws -> Void) async throws {
    func stopAll() async {
        await before?()
        for registry in registries { await registry.stop() }
    }
    do {
        try await body()
    } catch {
        await stopAll()
        throw error
    }
    await stopAll()
}
