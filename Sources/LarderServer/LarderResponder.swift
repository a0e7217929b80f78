import Foundation
import HTTPTypes
public import Hummingbird
public import LarderCore
public import LarderMirror
import LarderPolicy
public import Logging
import NIOCore

/// Larder's HTTP front: checks the request path, hands requests under an adapter's mount point
/// to that adapter and the engine, and serves `/health` and `/stats`.
public struct LarderResponder: HTTPResponder {
    public typealias Context = LarderRequestContext

    let engine: Engine
    let adapters: [String: any EcosystemAdapter]
    let configuration: LarderConfiguration
    /// The scheme of the listener it answers for, in links it writes.
    let scheme: String
    let logger: Logger
    let mirrorAPI: MirrorAPI?
    /// `/api/declarations`, `/api/blocks`, `/api/revocations`, `/api/audit`.
    let policyAPI: PolicyAPI
    let fastHits: FastHits?
    /// Who may do what on this listener.
    let access: AccessControl
    /// Where access log lines go, if anywhere.
    let accessLog: AccessLog?
    /// Which restricted upstreams each token may read.
    let grants: UpstreamGrants

    /// What answering a request learnt about it, for the access log and the fast path.
    struct RequestFacts {
        /// The name of the token it presented.
        var token: String?
        /// The tag of the restricted upstreams that token may read ("" for none).
        var view = ""
        /// The ecosystem whose adapter answered it.
        var ecosystem: String?
        /// The package and version it was about.
        var package: PackageRef?
    }

    /// The `Server` header's value.
    static let serverName = "Larder"

    /// Creates the responder; `mirrorJobs` is nil when the mirror API is off, `fastHits` when
    /// repeated hits are not answered before the router.
    init(
        engine: Engine, adapters: [any EcosystemAdapter], configuration: LarderConfiguration, logger: Logger, access: AccessControl, policyAdmin: PolicyAdmin,
        grants: UpstreamGrants, tokens: any TokenStore, accessLog: AccessLog? = nil, mirrorJobs: MirrorJobs? = nil, fastHits: FastHits? = nil, plainHTTP: Bool = false
    ) {
        self.grants = grants
        self.policyAPI = PolicyAPI(admin: policyAdmin)
        self.access = access
        self.accessLog = accessLog
        self.scheme = configuration.tls.isEnabled && !plainHTTP ? "https" : "http"
        self.engine = engine
        self.adapters = Dictionary(uniqueKeysWithValues: adapters.map { ($0.mount, $0) })
        self.configuration = configuration
        self.logger = logger
        self.mirrorAPI = mirrorJobs.map { MirrorAPI(jobs: $0, grants: grants, tokens: tokens) }
        self.fastHits = fastHits
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let arrived = accessLog == nil ? nil : Date()
        var facts = RequestFacts()
        let answer: EngineResponse
        do {
            answer = try await route(request, facts: &facts)
        } catch {
            answer = .error(error)
        }
        logAccess(request, answer, since: started)
        if answer.reusable != nil, let fastHits, let target = request.head.path {
            fastHits.keep(answer, target: target, view: facts.view, serverName: Self.serverName, ecosystem: facts.ecosystem, package: facts.package)
        }
        guard let accessLog, let arrived else { return Self.response(answer) }
        let entry = AccessLogEntry(
            time: arrived, client: context.remoteAddress?.hostText, token: facts.token, method: request.method.rawValue, path: String(request.head.path?.prefix(1000) ?? ""),
            ecosystem: facts.ecosystem, package: facts.package, cache: answer.headers.first(where: { $0.0 == "X-Larder-Cache" })?.1, status: answer.status, bytes: 0,
            milliseconds: 0)
        return Self.response(answer) { bytes, cut in
            let elapsed = ContinuousClock.now - started
            var entry = entry
            entry.bytes = bytes
            entry.cut = cut
            entry.milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            accessLog.record(entry)
        }
    }

    /// One structured line per request: at `info` when upstream was involved or the request
    /// failed (misses, pass-through, errors), at `debug` for cache hits, so the hit path costs
    /// no logging unless asked for.
    private func logAccess(_ request: Request, _ answer: EngineResponse, since started: ContinuousClock.Instant) {
        guard logger.logLevel <= .info else { return }
        // The engine writes this header name exactly so: no case-folding on the hit path.
        let cache = answer.headers.first(where: { $0.0 == "X-Larder-Cache" })?.1
        let level: Logger.Level = answer.status >= 400 || cache == "MISS" || cache == "PASS" || cache == "STALE" ? .info : .debug
        guard logger.logLevel <= level else { return }
        let elapsed = ContinuousClock.now - started
        logger.log(level: level, "request", metadata: [
            "method": "\(request.method.rawValue)",
            "path": "\(request.head.path?.prefix(300) ?? "")",
            "status": "\(answer.status)",
            "cache": "\(cache ?? "-")",
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
    }

    private func route(_ request: Request, facts: inout RequestFacts) async throws(LarderError) -> EngineResponse {
        let target = request.head.path ?? "/"
        if engine.upstream.isLoop(via: request.headers[.via]) {
            throw LarderError(
                .loopDetected,
                "this request was sent by this Larder itself: an upstream URL, or a file URL its metadata names, points back at Larder; check the upstreams setting and artifact_hosts")
        }
        let (rawPath, query) = Self.split(target)
        let path = try RequestPath(raw: rawPath)
        let method = ClientRequest.Method(rawValue: request.method.rawValue) ?? .other
        let token: AccessToken?
        do {
            token = try await access.authorize(authorization: request.headers[.authorization], needs: Self.neededRole(path, method: method))
            facts.token = token?.name
        } catch {
            guard let mount = path.segments.first, let adapter = adapters[mount] else { throw error }
            var error = error
            if error.kind == .unauthorized, let challenge = adapter.authenticationChallenge(baseURL: try baseURL(for: request), path: path.dropping(first: 1)) {
                error.headers = [("WWW-Authenticate", challenge)]
            }
            return adapter.errorResponse(error)
        }
        let grant = grants.grant(for: token)
        facts.view = grant.tag
        switch path.segments.first {
        case "health" where path.segments.count == 1:
            return Self.json("{\"status\":\"ok\"}\n")
        case "auth" where path.segments == ["auth", "token"]:
            return try await tokenExchange(request)
        case "stats" where path.segments.count == 1:
            return try await stats()
        case "openapi.json" where path.segments.count == 1:
            return EngineResponse(status: 200, headers: [("Content-Type", "application/json")], body: .buffer(ByteBuffer(string: OpenAPIDocument.json)))
        case "api" where path.segments.count >= 2 && (PolicyAPI.collections[path.segments[1]] != nil || path.segments[1] == "audit"):
            try path.requireNoEncodedSlash()
            return try await policyAPI.respond(
                method: method, segments: Array(path.segments.dropFirst()), query: query,
                body: try await Self.body(of: request, method: method, limit: configuration.maxRequestBody), actor: token?.name ?? "anonymous")
        case "api" where path.segments.count >= 2 && path.segments[1] == "mirror":
            guard let mirrorAPI else {
                throw LarderError.notFound("the mirror API is off: enable it with mirror_api: true (LARDER_MIRROR_API=true or --mirror-api true)")
            }
            try path.requireNoEncodedSlash()
            return try await mirrorAPI.respond(method: method, rest: Array(path.segments.dropFirst(2)), body: try await Self.body(of: request, method: method, limit: configuration.maxRequestBody), requester: token)
        case ".well-known" where path.segments.count == 2:
            guard let adapter = adapters.values.first(where: { $0.wellKnownNames.contains(path.segments[1]) }) else {
                throw LarderError.notFound("Larder has no /.well-known/\(path.segments[1].prefix(100))")
            }
            do {
                return try await serve(request, with: adapter, path: path, query: query, method: method, populate: populates(token), grant: grant, facts: &facts)
            } catch {
                return adapter.errorResponse(error)
            }
        case let mount? where adapters[mount] != nil:
            let adapter = adapters[mount]!
            do {
                return try await serve(request, with: adapter, path: path, query: query, method: method, populate: populates(token), grant: grant, facts: &facts)
            } catch {
                return adapter.errorResponse(error)
            }
        default:
            let mounts = adapters.keys.sorted().map { "/\($0)/" }.joined(separator: ", ")
            throw LarderError.notFound("nothing is served at \(rawPath.prefix(200)); Larder serves \(mounts), /api/mirror, /health, /stats and /openapi.json")
        }
    }

    /// The role a request needs: none for `/health` and `/openapi.json`, `admin` for changing
    /// blocks, revocations and exemptions, `write` for changing mirror jobs and declarations, `read` for
    /// everything else (packages, `/stats`, reading jobs and rules).
    static func neededRole(_ path: RequestPath, method: ClientRequest.Method) -> AccessRole? {
        switch path.segments.first {
        case "health" where path.segments.count == 1, "openapi.json" where path.segments.count == 1: return nil
        // The token exchange checks the credentials it is given itself.
        case "auth" where path.segments == ["auth", "token"]: return nil
        case "api" where method != .get && method != .head:
            return path.segments.count >= 2 && ["blocks", "revocations", "exemptions"].contains(path.segments[1]) ? .admin : .write
        default: return .read
        }
    }

    /// `/auth/token`, the token exchange of a Bearer challenge (OCI's token protocol): credentials
    /// that hold a token Larder knows (basic, with the token as the password) are answered with
    /// that token as the bearer token to use; anything else gets 401.
    private func tokenExchange(_ request: Request) async throws(LarderError) -> EngineResponse {
        guard let authorization = request.headers[.authorization], let secret = PresentedSecret.from(authorization: authorization) else {
            throw LarderError(.unauthorized, "the token exchange needs credentials: a Larder token as the password (docker login, skopeo --creds NAME:TOKEN)", headers: [AccessControl.challenge])
        }
        _ = try await access.authorize(authorization: authorization, needs: .read)
        let body = try? JSONSerialization.data(withJSONObject: ["token": secret, "access_token": secret, "expires_in": 3600, "issued_at": ISO8601DateFormatter().string(from: Date())])
        return EngineResponse(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: .buffer(ByteBuffer(data: body ?? Data())))
    }

    /// Whether a request with `token` (nil: anonymous) stores its cache misses (`populate`).
    private func populates(_ token: AccessToken?) -> Bool {
        switch configuration.populate {
        case .anyone: return true
        case .writers: return (token?.role ?? access.anonymous).map { $0 >= .write } ?? false
        }
    }

    /// Hands a request under `adapter`'s mount point to the adapter and the engine; `populate`
    /// says whether its cache misses are stored.
    private func serve(
        _ request: Request, with adapter: any EcosystemAdapter, path: RequestPath, query: String?, method: ClientRequest.Method, populate: Bool, grant: UpstreamGrant,
        facts: inout RequestFacts
    ) async throws(LarderError) -> EngineResponse {
        facts.ecosystem = adapter.ecosystem
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let limit = configuration.maxRequestBody
        var clientRequest = ClientRequest(
            method: method, path: path.dropping(first: 1), query: query, headers: headers,
            baseURL: try baseURL(for: request), readBody: { () async throws(LarderError) in try await Self.body(of: request, method: method, limit: limit) })
        clientRequest.populate = populate
        clientRequest.authenticationRequired = access.anonymous == nil
        // The adapter and the engine see the restricted upstreams the requester may read.
        do {
            return try await UpstreamGrant.$current.withValue(grant) {
                switch try await adapter.resolve(clientRequest, engine: engine) {
                case .response(let response): return response
                case .route(let route):
                    facts.ecosystem = route.ecosystem
                    facts.package = route.package
                    return try await engine.serve(route, request: clientRequest)
                }
            }
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError(.internalError, "\(error)")
        }
    }

    /// The body of a write, bounded by `max_request_body_kb`; nil for reads.
    private static func body(of request: Request, method: ClientRequest.Method, limit: Int) async throws(LarderError) -> ByteBuffer? {
        guard method == .post || method == .put || method == .patch else { return nil }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw LarderError(.payloadTooLarge, "the request body is larger than \(limit) bytes (max_request_body_kb)")
        } catch {
            throw LarderError.badRequest("the request body could not be read: \(error)")
        }
    }

    /// The public root URL: configured, or from this request's `Host` header (which only affects
    /// this request's answer; cached metadata is rewritten per request).
    private func baseURL(for request: Request) throws(LarderError) -> String {
        if let configured = configuration.baseURL { return configured }
        guard let host = request.head.authority, !host.isEmpty else {
            return "\(scheme)://\(configuration.host):\(configuration.port)"
        }
        guard RequestAuthority.isValid(host) else {
            throw LarderError.badRequest("the Host header '\(host.prefix(100))' is not a host name or address with an optional port")
        }
        return "\(scheme)://\(host)"
    }

    private func stats() async throws(LarderError) -> EngineResponse {
        do {
            let report = StatsReport(ecosystems: try await engine.currentStats(), activeDownloads: engine.activeFills)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return Self.json(String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
        } catch {
            throw LarderError(.internalError, "cannot read statistics: \(error)")
        }
    }

    static func json(_ text: String) -> EngineResponse {
        EngineResponse(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: .buffer(ByteBuffer(string: text)))
    }

    static func split(_ target: String) -> (String, String?) {
        guard let q = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    /// Converts the engine's answer into a Hummingbird response; `sent`, if given, learns the
    /// body bytes sent and whether a streamed body was cut short, once the body is done.
    static func response(_ answer: EngineResponse, sent: (@Sendable (Int, Bool) -> Void)? = nil) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let status = HTTPResponse.Status(code: answer.status)
        switch answer.body {
        case .empty:
            sent?(0, false)
            return Response(status: status, headers: fields, body: ResponseBody())
        case .buffer(let buffer):
            sent?(buffer.readableBytes, false)
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: buffer))
        case .stream(let chunks):
            return Response(status: status, headers: fields, body: ResponseBody { writer in
                var bytes = 0
                do {
                    for try await chunk in chunks {
                        try await writer.write(chunk)
                        bytes += chunk.readableBytes
                    }
                    try await writer.finish(nil)
                } catch {
                    sent?(bytes, true)
                    throw error
                }
                sent?(bytes, false)
            })
        }
    }
}

/// The `/stats` document.
public struct StatsReport: Codable, Sendable {
    /// Counters and store sizes per ecosystem.
    public var ecosystems: [String: EcosystemStats]
    /// Totals over all ecosystems.
    public var totals: EcosystemStats
    /// Downloads from upstream in progress.
    public var activeDownloads: Int

    /// Builds a report, computing the totals.
    public init(ecosystems: [String: EcosystemStats], activeDownloads: Int) {
        self.ecosystems = ecosystems
        self.totals = ecosystems.values.reduce(into: EcosystemStats()) { $0.add($1) }
        self.activeDownloads = activeDownloads
    }
}
