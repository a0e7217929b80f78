import Foundation
import HTTPTypes
import Hummingbird
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
        /// How to misbehave.
        public var fault: Fault

        /// Creates a resource.
        public init(status: Int = 200, body: ByteBuffer, contentType: String = "application/octet-stream", etag: String? = nil, fault: Fault = .none) {
            self.status = status
            self.body = body
            self.contentType = contentType
            self.etag = etag
            self.fault = fault
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
    }

    /// What the registry serves and has seen, shared with its request handler.
    final class State: Sendable {
        let resources = Mutex<[String: Resource]>([:])
        let counts = Mutex<[String: Int]>([:])
        let task = Mutex<Task<Void, any Error>?>(nil)
        /// Projects published with `publishPyPI`, for the root page.
        let pypiProjects = Mutex<Set<String>>([])
        /// Version documents (JSON) published with `publishNpm`, by package and version.
        let npmVersions = Mutex<[String: [String: Data]]>([:])
    }

    let state = State()

    /// The bound port.
    public let port: Int

    /// The registry's root URL (`http://127.0.0.1:PORT`).
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts a registry on a free loopback port (or `port`, to restart one at the same address).
    public init(port: Int = 0) async throws {
        let state = self.state
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let path = request.head.path.map { String($0.split(separator: "?", maxSplits: 1).first ?? "") } ?? "/"
            state.counts.withLock { $0[path, default: 0] += 1 }
            guard let resource = state.resources.withLock({ $0[path] }) else {
                return Response(status: .notFound, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "fixture has no \(path)\n")))
            }
            return try await FixtureRegistry.answer(resource, request: request)
        }
        var logger = Logger(label: "fixture")
        logger.logLevel = .critical
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
            logger: logger)
        let running = Task { try await app.run() }
        var bound = 0
        for await p in stream {
            bound = p
            break
        }
        self.port = bound
        state.task.withLock { $0 = running }
    }

    private static func answer(_ resource: Resource, request: Request) async throws -> Response {
        var headers: HTTPFields = [.contentType: resource.contentType]
        if let etag = resource.etag {
            headers[.eTag] = etag
            if request.headers[.ifNoneMatch] == etag {
                return Response(status: .notModified, headers: headers)
            }
        }
        headers[.contentLength] = "\(resource.body.readableBytes)"
        let status = HTTPResponse.Status(code: resource.status)
        switch resource.fault {
        case .none:
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: resource.body))
        case .delay(let duration):
            try await Task.sleep(for: duration)
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: resource.body))
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

    /// Serves `body` at `path`.
    public func set(_ path: String, body: ByteBuffer, contentType: String = "application/octet-stream", etag: String? = nil, fault: Fault = .none) {
        set(path, Resource(body: body, contentType: contentType, etag: etag, fault: fault))
    }

    /// Stops serving `path` (it answers 404).
    public func remove(_ path: String) {
        _ = state.resources.withLock { $0.removeValue(forKey: path) }
    }

    /// How many requests `path` received.
    public func requests(to path: String) -> Int { state.counts.withLock { $0[path] ?? 0 } }

    /// All requests received, by path.
    public var requestCounts: [String: Int] { state.counts.withLock { $0 } }

    /// Stops the server; its port then refuses connections.
    public func stop() async {
        guard let running = state.task.withLock({ t -> Task<Void, any Error>? in defer { t = nil }; return t }) else { return }
        running.cancel()
        _ = try? await running.value
    }
}
