public import Foundation
public import LarderCore
public import LarderPolicy
import LarderEcosystems
public import Logging
import Yams

/// Larder's settings. Each has one key, read in this order, later sources winning: the built-in
/// default, the YAML file (`--config`), the environment (`LARDER_…`), the command line flags.
/// `ConfigurationKey.all` lists the plain keys and `UpstreamSettings` reads `upstreams`; the
/// README documents each one.
public struct LarderConfiguration: Sendable {
    /// Address to listen on.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one.
    public var port: Int = 8080
    /// The data directory (SQLite index, blobs).
    public var dataDirectory: String = "./larder-data"
    /// The public URL clients reach Larder at, used in rewritten links; nil derives it from
    /// each request's `Host` header.
    public var baseURL: String?
    /// Each ecosystem's upstreams, in the order they are tried; an ecosystem without any answers
    /// 503 naming the setting.
    public var upstreams: [String: [Upstream]]
    /// Certificate files trusted for upstreams besides the system's store.
    public var trust = UpstreamTrust()
    /// Engine settings (TTL, memory cache).
    public var engine = EngineConfiguration()
    /// Upstream timeouts.
    public var timeouts = UpstreamTimeouts()
    /// Client connection timeouts.
    public var connections = ConnectionTimeouts()
    /// Most client connections open at once; more wait to be accepted. Nil: a quarter of the
    /// descriptor limit (`DescriptorLimit.defaultMaxConnections`).
    public var maxConnections: Int?
    /// Largest request body accepted (npm audit pass-through, mirror API requests).
    public var maxRequestBody: Int = 16 << 20
    /// Whether `/api/mirror` is served.
    public var mirrorAPI = false
    /// What requests without a token may do: `read`, or nothing (nil). Unset, each listener
    /// allows reads on loopback and nothing on any other address.
    public var anonymous: AccessRole??
    /// Whose cache misses are stored: anyone's, or only those of requests with a `write` token.
    public var populate = Populate.anyone
    /// Which packages may enter at all (`mode`).
    public var mode = PolicyMode.open
    /// How long new versions are held back (`cooldown.*`).
    public var cooldown = CooldownSettings()
    /// Where the access log's JSON lines go: a file path, `-` for standard output, nil for none.
    public var accessLog: String?
    /// Platforms (`os_arch`) whose platform-specific artifacts the mirror fetches.
    public var mirrorPlatforms = ["linux_amd64"]
    /// Log level.
    public var logLevel: Logger.Level = .info
    /// The certificate and key Larder serves HTTPS with; none: plain HTTP.
    public var tls = ServerTLS()
    /// Host and port of a plain-HTTP listener beside the HTTPS one, if any.
    public var plainHTTP: (host: String, port: Int)?

    /// The defaults: each ecosystem's public registry where it has one.
    public init() {
        upstreams = UpstreamSettings.defaults()
    }

    /// Points `ecosystem` at the single upstream `url` (for tests and embedding).
    public mutating func setUpstream(_ ecosystem: String, _ url: String, artifactHosts: [String] = [], verifyOnHit: Bool = false) throws {
        upstreams[ecosystem] = [try Upstream(url: url, setting: "upstreams.\(ecosystem)", artifactHosts: artifactHosts.compactMap(HostPattern.init), verifyOnHit: verifyOnHit)]
    }

    /// Resolves the settings from a YAML file (optional), the environment and flag overrides
    /// (by flag name, in order; `upstream` and `upstream-artifact-hosts` may repeat). Throws a
    /// message naming the bad key and its source.
    public static func resolve(file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, flags: [(String, String)] = []) throws -> LarderConfiguration {
        var values: [String: (value: String, source: String)] = [:]
        var upstreams = UpstreamSettings(environment: environment)
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigurationError("cannot read config file \(file): \(error.localizedDescription)")
            }
            let parsed: Any?
            do {
                parsed = try Yams.load(yaml: text)
            } catch {
                throw ConfigurationError("config file \(file) is not valid YAML: \(error)")
            }
            if let parsed {
                guard var mapping = parsed as? [String: Any] else { throw ConfigurationError("config file \(file) must be a mapping of keys to values") }
                if let section = mapping.removeValue(forKey: "upstreams") {
                    try upstreams.readFile(section, file: file)
                }
                for (key, value) in flatten(mapping) {
                    guard ConfigurationKey.named(key) != nil else {
                        throw ConfigurationError("config file \(file) has unknown key '\(key)'; known keys: \((ConfigurationKey.all.map(\.name) + ["upstreams"]).joined(separator: ", "))")
                    }
                    values[key] = (value, "config file \(file)")
                }
            }
        }
        for key in ConfigurationKey.all {
            if let value = environment[key.environment], !value.isEmpty { values[key.name] = (value, "environment variable \(key.environment)") }
        }
        try upstreams.readEnvironment()
        for (name, value) in flags {
            if try upstreams.readFlag(name, value) { continue }
            guard let key = ConfigurationKey.named(name) else { throw ConfigurationError("unknown setting '\(name)'") }
            values[key.name] = (value, "flag --\(key.flag)")
        }
        var configuration = LarderConfiguration()
        for key in ConfigurationKey.all {
            guard let (value, source) = values[key.name] else { continue }
            do {
                try key.apply(value, &configuration)
            } catch let error as ConfigurationError {
                throw ConfigurationError("\(key.name) from \(source): \(error.message)")
            } catch let error as LarderError {
                throw ConfigurationError("\(key.name) from \(source): \(error.message)")
            } catch let error as PolicyInputError {
                throw ConfigurationError("\(key.name) from \(source): \(error.message)")
            }
        }
        configuration.upstreams = try upstreams.resolved()
        if let bundle = environment["SSL_CERT_FILE"], !bundle.isEmpty, !configuration.trust.additionalCAFiles.contains(bundle) {
            configuration.trust.additionalCAFiles.append(bundle)
        }
        do {
            try configuration.trust.validate()
        } catch {
            throw ConfigurationError("upstream_ca_file or SSL_CERT_FILE: \(error.message)")
        }
        _ = try configuration.tls.context()
        if configuration.plainHTTP != nil, !configuration.tls.isEnabled {
            throw ConfigurationError("http_listen adds a plain-HTTP listener beside the HTTPS one: it needs tls.cert and tls.key (listen alone serves plain HTTP)")
        }
        return configuration
    }

    /// Keys whose value is a mapping of names to values (written `name=value,…` in the
    /// environment and on the command line).
    static let mappingKeys: Set<String> = ["cooldown.ecosystems", "cooldown.packages"]

    private static func flatten(_ mapping: [String: Any], prefix: String = "") -> [(String, String)] {
        mapping.flatMap { key, value -> [(String, String)] in
            let name = prefix + key
            if let nested = value as? [String: Any] {
                if mappingKeys.contains(name) { return [(name, nested.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","))] }
                return flatten(nested, prefix: name + ".")
            }
            // YAML reads 2026-11-01 as a date: written back as RFC 3339.
            if let date = value as? Date { return [(name, ISO8601DateFormatter().string(from: date))] }
            return [(name, "\(value)")]
        }
    }
}

extension LarderConfiguration {
    /// Whose cache misses fill the cache (`populate`).
    public enum Populate: String, Sendable {
        /// Every miss is stored.
        case anyone
        /// Only misses of requests with a `write` (or `admin`) token are stored; others are
        /// streamed from upstream, verified, and not kept.
        case writers
    }
}
