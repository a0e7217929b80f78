import Foundation
public import Hummingbird
import HummingbirdCore
public import LarderCore
import LarderEcosystems
public import LarderPolicy
import LarderMirror
public import LarderSQLite
public import Logging
import NIOCore
import ServiceLifecycle

/// A ready-to-run Larder: the engine over the embedded store, the ecosystem adapters, and the
/// Hummingbird application serving them.
public struct LarderApplication: Sendable {
    /// The caching engine.
    public let engine: Engine
    /// The HTTP application; run it with `runService()` (signals) or in a `ServiceGroup`.
    public let application: Application<LarderResponder>
    /// Repeated hits answered before the router (nil with debug logging).
    let fastHits: FastHits?

    /// Builds Larder from `configuration`, serving `Ecosystems.all` and any `extraAdapters` (for
    /// embedding); `onServerRunning` receives the bound port.
    /// With `http_listen`, a second, plain-HTTP listener serves beside the HTTPS one (same
    /// engine, links written as http); `onPlainHTTPRunning` receives its port.
    public init(
        configuration: LarderConfiguration, logger: Logger? = nil, extraAdapters: [any EcosystemAdapter] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onPlainHTTPRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        var logger = logger ?? Logger(label: "larder")
        logger.logLevel = configuration.logLevel
        let stack = try LarderStack(configuration: configuration, logger: logger, extraAdapters: extraAdapters)
        try await stack.loadRules()
        let engine = stack.engine
        var services: [any Service] = [EngineService(engine: engine), PolicyService(rules: stack.rules, store: stack.policyStore, logger: logger)]
        var mirrorJobs: MirrorJobs?
        if configuration.mirrorAPI {
            // A job reads the restricted upstreams the token that started it may read.
            let jobs = try await MirrorJobs(engine: engine, catalogs: stack.catalogs, store: SQLiteMirrorJobStore(index: stack.store.index), logger: logger) { name in
                (try? await stack.grant(forTokenNamed: name)) ?? UpstreamGrant()
            }
            services.append(MirrorJobsService(jobs: jobs))
            mirrorJobs = jobs
        }
        let tls = try configuration.tls.context()
        let accessLog = try configuration.accessLog.map { try AccessLog(destination: $0, logger: logger) }
        if let accessLog { services.append(AccessLogService(log: accessLog)) }
        // Hits are logged at debug: with that level on, every request goes through the router.
        let fastHits = logger.logLevel <= .debug ? nil : FastHits(engine: engine, capacity: configuration.engine.memoryCacheBytes / 4, grants: stack.grants, accessLog: accessLog)
        let tokens = SQLiteTokenStore(index: stack.store.index)
        let access = AccessControl(store: tokens, anonymous: configuration.anonymous ?? AccessControl.defaultAnonymous(host: configuration.host))
        // The fast path clears readers from memory (anonymous reads, or tokens looked up lately).
        let responder = LarderResponder(
            engine: engine, adapters: stack.adapters, configuration: configuration, logger: logger, access: access, policyAdmin: stack.policyAdmin, grants: stack.grants, tokens: tokens, accessLog: accessLog, mirrorJobs: mirrorJobs,
            fastHits: fastHits)
        let connections = MaximumAvailableConnections(configuration.maxConnections ?? DescriptorLimit.defaultMaxConnections, logger: logger)
        if let plain = configuration.plainHTTP {
            let plainAccess = AccessControl(store: tokens, anonymous: configuration.anonymous ?? AccessControl.defaultAnonymous(host: plain.host))
            let plainResponder = LarderResponder(
                engine: engine, adapters: stack.adapters, configuration: configuration, logger: logger, access: plainAccess, policyAdmin: stack.policyAdmin, grants: stack.grants, tokens: tokens, accessLog: accessLog, mirrorJobs: mirrorJobs,
                fastHits: fastHits, plainHTTP: true)
            services.append(Application(
                responder: plainResponder,
                server: HTTPServerBuilder { LarderHTTP1Channel(responder: $0, timeouts: configuration.connections, fastHits: fastHits, access: plainAccess, tls: nil) },
                configuration: .init(address: .hostname(plain.host, port: plain.port), serverName: LarderResponder.serverName, availableConnectionsDelegate: connections),
                onServerRunning: { channel in await onPlainHTTPRunning(channel.localAddress?.port ?? plain.port) },
                logger: logger))
        }
        self.engine = engine
        self.fastHits = fastHits
        self.application = Application(
            responder: responder,
            server: HTTPServerBuilder { LarderHTTP1Channel(responder: $0, timeouts: configuration.connections, fastHits: fastHits, access: access, tls: tls) },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: LarderResponder.serverName,
                availableConnectionsDelegate: connections),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}

/// The engine over the embedded store with every ecosystem adapter: what `larder serve` puts
/// behind HTTP and `larder mirror` drives directly.
public struct LarderStack: Sendable {
    /// The caching engine.
    public let engine: Engine
    /// The ecosystem adapters, by mount point order.
    public let adapters: [any EcosystemAdapter]
    /// The embedded store the engine uses.
    public let store: LarderStore
    /// The package rules in force (declarations, blocks, revocations, the mode).
    public let rules: PackageRules
    /// Where the rules are kept.
    public let policyStore: SQLitePolicyStore
    /// Which restricted upstreams each token may read.
    let grants: UpstreamGrants

    /// Builds the stack from `configuration`, with `extraAdapters` mounted beside the ecosystems.
    /// The rules are empty until ``loadRules()``.
    public init(configuration: LarderConfiguration, logger: Logger, extraAdapters: [any EcosystemAdapter] = []) throws {
        let store = try LarderStore(dataDirectory: configuration.dataDirectory)
        self.store = store
        adapters = Ecosystems.all.map { $0.init(upstreams: configuration.upstreams[$0.name] ?? [], mirrorPlatforms: configuration.mirrorPlatforms) } + extraAdapters
        do {
            rules = try PackageRules(
                mode: configuration.mode, catalogs: adapters.compactMap { $0 as? any PackageCatalog }, cooldown: configuration.cooldown,
                history: SQLiteVersionHistoryStore(index: store.index))
        } catch {
            throw ConfigurationError(error.message)
        }
        policyStore = SQLitePolicyStore(index: store.index)
        grants = UpstreamGrants(upstreams: configuration.upstreams, adapters: adapters)
        var engineConfiguration = configuration.engine
        engineConfiguration.restrictedUpstreams = grants.byEcosystem
        engine = Engine(
            index: store.index, blobs: store.blobs, upstream: UpstreamClient(timeouts: configuration.timeouts, trust: configuration.trust, logger: logger),
            configuration: engineConfiguration, logger: logger, policy: rules)
    }

    /// The restricted upstreams the token called `name` may read: none for nil, an unknown or
    /// a revoked token.
    public func grant(forTokenNamed name: String?) async throws -> UpstreamGrant {
        guard let name, let token = try await SQLiteTokenStore(index: store.index).tokens().first(where: { $0.name == name && $0.revokedAt == nil }) else {
            return UpstreamGrant()
        }
        return grants.grant(for: token)
    }

    /// Loads the package rules from the store.
    public func loadRules() async throws {
        try await rules.refresh(from: policyStore)
    }

    /// Declares, blocks, revokes, lists and purges, over this stack's rules and store.
    public var policyAdmin: PolicyAdmin {
        PolicyAdmin(rules: rules, store: policyStore, engine: engine, catalogs: catalogs)
    }

    /// The adapters that can describe packages to the mirror.
    public var catalogs: [any PackageCatalog] { adapters.compactMap { $0 as? any PackageCatalog } }
}

/// The embedded store in a data directory: `index.sqlite` and `blobs/`.
public struct LarderStore: Sendable {
    /// The SQLite index.
    public let index: SQLiteCacheIndex
    /// The blob directory.
    public let blobs: FileBlobStore

    /// Opens (creating if needed) the store in `dataDirectory`.
    public init(dataDirectory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("cannot create data directory \(dataDirectory): \(error.localizedDescription)")
        }
        index = try SQLiteCacheIndex(path: dataDirectory + "/index.sqlite")
        blobs = try FileBlobStore(root: dataDirectory)
    }
}

/// Cancels running mirror jobs when the server shuts down gracefully (they become interrupted
/// and can be resumed after a restart).
struct MirrorJobsService: Service {
    let jobs: MirrorJobs

    func run() async throws {
        try? await gracefulShutdown()
        await jobs.shutdown()
    }
}
