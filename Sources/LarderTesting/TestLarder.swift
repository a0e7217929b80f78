import Foundation
public import LarderCore
public import LarderServer
public import Logging
import LarderSQLite
import ServiceLifecycle
import Synchronization

/// Larder running in-process on a free loopback port over a fresh data directory, for tests.
public final class TestLarder: Sendable {
    /// The running application.
    public let larder: LarderApplication
    /// The bound port.
    public let port: Int
    /// The port of the plain-HTTP listener beside HTTPS (`http_listen`), if any.
    public let plainPort: Int?
    /// The data directory.
    public let dataDirectory: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Larder's root URL.
    public var url: String { url(user: "", password: nil) }

    /// The root URL with `user:password@` before the host, or without when `password` is nil
    /// (how pip, gem and other clients are given credentials).
    public func url(user: String, password: String?) -> String {
        let credentials = password.map { "\(user):\($0)@" } ?? ""
        return "\(isTLS ? "https" : "http")://\(credentials)127.0.0.1:\(port)"
    }
    /// Whether it serves HTTPS.
    let isTLS: Bool
    /// The engine.
    public var engine: Engine { larder.engine }
    /// The write token `writeToken()` made, once made.
    private let madeWriteToken = Mutex<String?>(nil)

    /// Creates a token with `role` in this Larder's store and returns its secret.
    public func makeToken(_ role: AccessRole, name: String? = nil) async throws -> String {
        let secret = AccessToken.makeSecret()
        try await SQLiteTokenStore(index: try LarderStore(dataDirectory: dataDirectory).index).create(AccessToken(name: name ?? "test-\(UUID().uuidString.prefix(8))", role: role, createdAt: Date()), secretHash: AccessToken.hash(secret))
        return secret
    }

    /// Revokes the token `name` in this Larder's store; false when there is none.
    public func revokeToken(_ name: String) async throws -> Bool {
        try await SQLiteTokenStore(index: try LarderStore(dataDirectory: dataDirectory).index).revoke(name: name, at: Date())
    }

    /// A token with the write role (made once), for tests that start or cancel mirror jobs.
    public func writeToken() async throws -> String {
        if let made = madeWriteToken.withLock({ $0 }) { return made }
        let secret = try await makeToken(.write)
        madeWriteToken.withLock { $0 = secret }
        return secret
    }

    /// The `Authorization` header of `writeToken()`.
    public func writeAuthorization() async throws -> (String, String) {
        ("Authorization", "Bearer \(try await writeToken())")
    }

    /// Starts Larder; `configure` adjusts the configuration (upstreams, TTL) first. No ecosystem
    /// has an upstream unless `configure` gives it one, so a test reaches nothing but what it
    /// sets up. The data directory is new unless one is given (to restart over the same store);
    /// `logHandler` receives Larder's log records.
    public init(dataDirectory: String? = nil, logHandler: (any LogHandler)? = nil, extraAdapters: [any EcosystemAdapter] = [], configure: (inout LarderConfiguration) throws -> Void = { _ in }) async throws {
        var configuration = LarderConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dataDirectory ?? TestLarder.temporaryDirectory("larder-data")
        configuration.logLevel = ProcessInfo.processInfo.environment["LARDER_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        for ecosystem in configuration.upstreams.keys { configuration.upstreams[ecosystem] = [] }
        // Revalidations are awaited to their end unless a test sets the deadline: answers after
        // one must not depend on how loaded the machine is.
        configuration.engine.revalidationDeadline = .seconds(30)
        try configure(&configuration)
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let (plainStream, plainContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = logHandler.map { handler in Logger(label: "larder-test") { _ in handler } } ?? Logger(label: "larder-test")
        logger.logLevel = configuration.logLevel
        let larder = try await LarderApplication(configuration: configuration, logger: logger, extraAdapters: extraAdapters) { continuation.yield($0) } onPlainHTTPRunning: { plainContinuation.yield($0) }
        let group = ServiceGroup(services: [larder.application], gracefulShutdownSignals: [], logger: logger)
        self.task = Task { try await group.run() }
        var bound = 0
        for await p in stream {
            bound = p
            break
        }
        var plain: Int?
        if configuration.plainHTTP != nil {
            for await p in plainStream {
                plain = p
                break
            }
        }
        self.plainPort = plain
        self.larder = larder
        self.group = group
        self.port = bound
        self.isTLS = configuration.tls.certificateFile != nil
        self.dataDirectory = configuration.dataDirectory
    }

    /// Shuts Larder down gracefully and waits for it.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// A new empty directory under the system's temporary directory.
    public static func temporaryDirectory(_ prefix: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension TestLarder {
    /// Runs `body`, then stops Larder and `upstreams` however it ended (stopping twice is
    /// harmless, so the body may stop either itself).
    public func stopping(_ upstreams: FixtureRegistry..., body: () async throws -> Void) async throws {
        try await LarderTesting.stopping(upstreams, before: stop, body: body)
    }
}

extension Upstream {
    /// An ecosystem's upstreams for tests of restricted upstreams: `privateURL`, readable by
    /// `readers` only, tried first, then `publicURL` for everyone.
    public static func privateThenPublic(_ ecosystem: String, privateURL: String, publicURL: String, readers: [String]) throws -> [Upstream] {
        [
            try Upstream(url: privateURL, setting: "upstreams.\(ecosystem)[0]", readers: readers),
            try Upstream(url: publicURL, setting: "upstreams.\(ecosystem)[1]"),
        ]
    }

    /// The Debian archive `upstream` serves below `/debian`, named `test` (`/debian/test/`).
    public static func debianFixture(_ upstream: FixtureRegistry) throws -> Upstream {
        try Upstream(url: upstream.url + "/debian", setting: "upstreams.debian.test", name: "test")
    }
}
