import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request Larder makes to an upstream registry.
public struct UpstreamRequest: Sendable {
    /// The absolute URL.
    public var url: String
    /// The method; GET unless passing a client's request through.
    public var method: String = "GET"
    /// Headers to send (may include credentials, never logged).
    public var headers: [(String, String)]
    /// A body, for pass-through requests.
    public var body: ByteBuffer?

    /// Creates a request.
    public init(url: String, method: String = "GET", headers: [(String, String)] = [], body: ByteBuffer? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }

    /// The URL safe to show in logs and messages.
    public var displayURL: String { UpstreamEndpoint.redact(url) }
}

/// An upstream's answer, with its body still streaming.
public struct UpstreamResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Response headers.
    public var headers: HTTPHeaders
    /// The body, pulled as it arrives.
    public var body: HTTPClientResponse.Body

    /// The first value of header `name`.
    public func header(_ name: String) -> String? { headers.first(name: name) }
}

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

/// The HTTP client Larder uses to reach every upstream. It maps transport failures to
/// `LarderError`s that name the upstream (without credentials).
public final class Upstream: Sendable {
    let client: HTTPClient
    let timeouts: UpstreamTimeouts
    let logger: Logger
    /// Hosts that could not be reached, and until when they are not tried again.
    private let unreachable = Mutex<[String: (until: ContinuousClock.Instant, reason: String)]>([:])

    /// Creates an upstream client.
    public init(timeouts: UpstreamTimeouts = UpstreamTimeouts(), logger: Logger = Logger(label: "larder.upstream")) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(timeouts.connect), read: TimeAmount(timeouts.read))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.decompression = .disabled
        configuration.httpVersion = .automatic
        // A refused connection must fail now, not be retried until the connect timeout: the
        // engine serves stale metadata instead of making clients wait.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Releases the client's connections without blocking; an `Upstream` needs no explicit
    /// shutdown.
    deinit {
        _ = client.shutdown()
    }

    /// Sends `request`; the body streams. `deadline` bounds the time to the response head.
    public func send(_ request: UpstreamRequest, deadline: Duration? = nil) async throws(LarderError) -> UpstreamResponse {
        var http = HTTPClientRequest(url: request.url)
        http.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if http.headers["user-agent"].isEmpty { http.headers.add(name: "User-Agent", value: "Larder/0.1") }
        if let body = request.body { http.body = .bytes(body) }
        let timeout: TimeAmount = deadline.map { TimeAmount($0) } ?? .hours(24)
        let host = UpstreamEndpoint.authority(of: request.url) ?? request.url
        if let down = unreachable.withLock({ $0[host] }), ContinuousClock.now < down.until {
            throw LarderError(.upstreamUnreachable, "upstream \(request.displayURL) is unreachable (\(down.reason)); Larder tries it again in a few seconds")
        }
        do {
            let response = try await client.execute(http, timeout: timeout, logger: logger)
            unreachable.withLock { _ = $0.removeValue(forKey: host) }
            return UpstreamResponse(status: Int(response.status.code), headers: response.headers, body: response.body)
        } catch {
            let mapped = Upstream.map(error, url: request.displayURL)
            if Upstream.isConnectFailure(error) {
                unreachable.withLock { $0[host] = (ContinuousClock.now + timeouts.retryAfterFailure, "\(error)") }
            }
            throw mapped
        }
    }

    /// Whether `error` means the host could not be connected to at all (as opposed to a slow or
    /// failed answer on a working connection).
    static func isConnectFailure(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .connectTimeout
        }
        if error is NIOConnectionError { return true }
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED || error.errnoCode == EHOSTUNREACH || error.errnoCode == ENETUNREACH }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        return false
    }

    /// Translates a transport error into a status and message for the client.
    public static func map(_ error: any Error, url: String) -> LarderError {
        if let error = error as? LarderError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .deadlineExceeded:
                return LarderError(.upstreamTimeout, "upstream \(url) timed out (\(error))")
            case .remoteConnectionClosed:
                return LarderError(.upstreamUnreachable, "upstream \(url) closed the connection before answering in full")
            default:
                break
            }
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return LarderError(.upstreamUnreachable, "upstream \(url) refused the connection (is it running, and is the configured URL right?)")
        }
        if error is CancellationError {
            return LarderError(.shuttingDown, "request to upstream \(url) was cancelled")
        }
        return LarderError(.upstreamUnreachable, "upstream \(url) is unreachable: \(error)")
    }
}
