import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The HTTP client Larder reaches every upstream with. It follows redirects itself, so that
/// credentials go only to the origin they belong to on every hop and an https upstream is never
/// followed down to http; it runs challenge handshakes and caches their tokens; it remembers
/// hosts that refused connections so offline clients are not kept waiting; and it maps transport
/// failures to `LarderError`s that name the upstream (never its credentials).
public final class UpstreamClient: Sendable {
    let client: HTTPClient
    /// The timeouts every request runs under.
    public let timeouts: UpstreamTimeouts
    let logger: Logger
    /// Hosts that could not be reached (refused, or did not answer in time), and until when they
    /// are not tried again.
    private let unreachable = Mutex<[URLOrigin: (until: ContinuousClock.Instant, reason: String)]>([:])
    /// Tokens from challenge handshakes, by upstream and token key.
    private let tokens = Mutex<[String: (authorization: String, until: ContinuousClock.Instant)]>([:])

    /// This process's token in the `Via` header of its upstream requests (`1.1 larder-…`): a
    /// request that comes back carrying it is a loop (an upstream or artifact URL naming Larder
    /// itself) and is refused at once instead of waiting on itself.
    public let via = "larder-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)

    /// Whether a request's `Via` header shows it was sent by this process.
    public func isLoop(via header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { $0.split(separator: " ").contains { $0 == via } }
    }

    /// The most HTTP/1 connections kept to one upstream host.
    public static let connectionsPerHost = 64

    /// The most redirects followed for one request.
    static let maxRedirects = 5

    /// Creates a client trusting the system's certificate store plus `trust`'s files.
    public init(timeouts: UpstreamTimeouts = UpstreamTimeouts(), trust: UpstreamTrust = UpstreamTrust(), logger: Logger = Logger(label: "larder.upstream")) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(timeouts.connect), read: TimeAmount(timeouts.read))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .automatic
        configuration.tlsConfiguration = trust.tlsConfiguration
        // A refused connection must fail now, not be retried until the connect timeout: the
        // engine serves stale metadata instead of making clients wait.
        configuration.connectionPool.retryConnectionEstablishment = false
        // A mirror run keeps up to 64 requests in flight to one upstream (AsyncHTTPClient's
        // default of 8 connections per host would queue the rest behind them); kept-alive
        // connections are reused, and HTTP/2 multiplexes them where the upstream offers it.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.connectionsPerHost
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Releases the client's connections without blocking; a client needs no explicit shutdown.
    deinit {
        _ = client.shutdown()
    }

    /// Sends `request`, following up to five redirects; the body streams. `deadline` bounds the
    /// time to each response head.
    public func send(_ request: UpstreamRequest, deadline: Duration? = nil) async throws(LarderError) -> UpstreamResponse {
        var hop = request
        var challenged = false
        var redirects = 0
        var oneOff: String?
        let tokenKey = request.challengeHandler?.tokenKey(for: request).map { "\(request.upstreamID ?? "")\u{0}\($0)" }
        // Tokens belong to the origin that challenged; a redirect elsewhere (a blob store's
        // signed URL) does not get them.
        let tokenOrigin = URLOrigin(url: request.url)
        while true {
            let bearer = oneOff ?? tokenKey.flatMap(cachedToken)
            let response = try await sendOnce(hop, extraAuthorization: bearer.map { (tokenOrigin, $0) }, deadline: deadline)
            if response.status == 401, !challenged, let handler = request.challengeHandler, let header = response.header("www-authenticate") {
                challenged = true
                await response.body.discard()
                guard let token = try await handler.respond(to: AuthChallenge.parse(header), for: hop, client: self) else {
                    throw LarderError(.upstreamFailed, "upstream \(request.displayURL) answered 401 with a challenge Larder cannot answer; check the upstream's credentials in Larder's configuration")
                }
                // The retry uses the token whatever its lifetime; later requests reuse it while it lasts.
                if let tokenKey, let lifetime = token.lifetime {
                    tokens.withLock { $0[tokenKey] = (token.authorization, ContinuousClock.now + lifetime) }
                }
                oneOff = token.authorization
                hop = request
                redirects = 0
                continue
            }
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("location") else { return response }
            await response.body.discard()
            redirects += 1
            guard redirects <= Self.maxRedirects else {
                throw LarderError(.upstreamFailed, "upstream \(request.displayURL) redirected more than \(Self.maxRedirects) times")
            }
            hop = try Self.redirect(hop, to: location, status: response.status)
        }
    }

    private func cachedToken(_ key: String) -> String? {
        tokens.withLock { table in
            guard let token = table[key] else { return nil }
            if ContinuousClock.now < token.until { return token.authorization }
            table.removeValue(forKey: key)
            return nil
        }
    }

    /// The request for the next hop of a redirect: absolute, http(s) only, never from https down
    /// to http; headers that carry identity are dropped when the origin changes (credentials are
    /// re-checked against their origin at each hop anyway).
    static func redirect(_ request: UpstreamRequest, to location: String, status: Int) throws(LarderError) -> UpstreamRequest {
        guard let base = URL(string: request.url), let target = URL(string: location, relativeTo: base)?.absoluteURL,
            let from = URLOrigin(url: request.url), let to = URLOrigin(url: target.absoluteString)
        else {
            throw LarderError(.upstreamFailed, "upstream \(request.displayURL) redirected to '\(UpstreamRequest.redact(String(location.prefix(200))))', which is not an http:// or https:// URL")
        }
        if from.scheme == "https" && to.scheme == "http" {
            throw LarderError(.upstreamFailed, "upstream \(request.displayURL) redirected from https to http (\(to)); Larder does not follow redirects to plain http")
        }
        var next = request
        next.url = target.absoluteString
        if status == 303 && request.method != "HEAD" {
            next.method = "GET"
            next.body = nil
        }
        if from != to {
            let identity: Set<String> = ["authorization", "proxy-authorization", "cookie"]
            next.headers = request.headers.filter { !identity.contains($0.0.lowercased()) }
        }
        return next
    }

    private func sendOnce(_ request: UpstreamRequest, extraAuthorization: (origin: URLOrigin?, value: String)?, deadline: Duration?) async throws(LarderError) -> UpstreamResponse {
        guard let origin = URLOrigin(url: request.url) else {
            throw LarderError(.upstreamFailed, "'\(request.displayURL)' is not an http:// or https:// URL")
        }
        var http = HTTPClientRequest(url: request.url)
        http.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if http.headers["user-agent"].isEmpty { http.headers.add(name: "User-Agent", value: "Larder/0.1") }
        http.headers.add(name: "Via", value: "1.1 \(via)")
        if let extraAuthorization, extraAuthorization.origin == origin {
            http.headers.replaceOrAdd(name: "Authorization", value: extraAuthorization.value)
        } else if let credentials = request.credentials, credentials.origin == origin {
            http.headers.replaceOrAdd(name: "Authorization", value: credentials.value.authorization)
        }
        if let body = request.body { http.body = .bytes(body) }
        let timeout: TimeAmount = deadline.map { TimeAmount($0) } ?? .hours(24)
        if let down = unreachable.withLock({ $0[origin] }), ContinuousClock.now < down.until {
            throw LarderError(.upstreamUnreachable, "upstream \(request.displayURL) is unreachable (\(down.reason)); Larder tries it again in a few seconds")
        }
        do {
            let response = try await client.execute(http, timeout: timeout, logger: logger)
            unreachable.withLock { _ = $0.removeValue(forKey: origin) }
            return UpstreamResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, url: request.url,
                body: UpstreamBody(base: response.body, url: request.displayURL))
        } catch {
            let mapped = Self.map(error, url: request.displayURL)
            if Self.isConnectFailure(error) || mapped.kind == .upstreamTimeout {
                unreachable.withLock { $0[origin] = (ContinuousClock.now + timeouts.retryAfterFailure, "\(error)") }
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
        if let error = error as? IOError, error.errnoCode == EMFILE || error.errnoCode == ENFILE {
            return LarderError(
                .overloaded, "Larder is out of file descriptors and could not connect to upstream \(url); try again shortly (operators: \(LarderError.descriptorAdvice))",
                headers: [("Retry-After", "1")])
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return LarderError(.upstreamUnreachable, "upstream \(url) refused the connection (is it running, and is the configured URL right?)")
        }
        if error is NIOSSLError || error is BoringSSLError || "\(type(of: error))".contains("SSL") {
            return LarderError(.upstreamUnreachable, "upstream \(url) failed the TLS handshake (\(error)); for an internal certificate authority, set upstream_ca_file or SSL_CERT_FILE")
        }
        if error is CancellationError {
            return LarderError(.shuttingDown, "request to upstream \(url) was cancelled")
        }
        return LarderError(.upstreamUnreachable, "upstream \(url) is unreachable: \(error)")
    }
}
