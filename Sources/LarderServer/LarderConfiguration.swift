import Foundation
import LarderCore
import LarderEcosystems
import Logging
import Yams

/// Larder's settings. Each has one key, read in this order, later sources winning: the built-in
/// default, the YAML file (`--config`), the environment (`LARDER_…`), the command line flags.
/// `ConfigurationKey.all` is the single list of keys; the README documents each one.
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
    /// The PyPI upstream simple index, or nil (PyPI routes then answer 503).
    public var pypiUpstream: UpstreamEndpoint?
    /// The npm upstream registry.
    public var npmUpstream: UpstreamEndpoint
    /// Engine settings (TTL, memory cache).
    public var engine = EngineConfiguration()
    /// Upstream timeouts.
    public var timeouts = UpstreamTimeouts()
    /// Largest request body accepted (npm audit pass-through, mirror API requests).
    public var maxRequestBody: Int = 16 << 20
    /// Whether `/api/mirror` is served.
    public var mirrorAPI = false
    /// Log level.
    public var logLevel: Logger.Level = .info

    /// The defaults.
    public init() {
        npmUpstream = try! UpstreamEndpoint(NpmAdapter.defaultUpstream, setting: "upstreams.npm")
    }

    /// Resolves the settings from a YAML file (optional), the environment and flag overrides
    /// (keyed by the file's key names). Throws a message naming the bad key and its source.
    public static func resolve(file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, flags: [String: String] = [:]) throws -> LarderConfiguration {
        var values: [String: (value: String, source: String)] = [:]
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
                guard let mapping = parsed as? [String: Any] else { throw ConfigurationError("config file \(file) must be a mapping of keys to values") }
                for (key, value) in flatten(mapping) {
                    guard ConfigurationKey.named(key) != nil else {
                        throw ConfigurationError("config file \(file) has unknown key '\(key)'; known keys: \(ConfigurationKey.all.map(\.name).joined(separator: ", "))")
                    }
                    values[key] = (value, "config file \(file)")
                }
            }
        }
        for key in ConfigurationKey.all {
            if let value = environment[key.environment], !value.isEmpty { values[key.name] = (value, "environment variable \(key.environment)") }
        }
        for (name, value) in flags {
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
            }
        }
        return configuration
    }

    private static func flatten(_ mapping: [String: Any], prefix: String = "") -> [(String, String)] {
        mapping.flatMap { key, value -> [(String, String)] in
            let name = prefix + key
            if let nested = value as? [String: Any] { return flatten(nested, prefix: name + ".") }
            return [(name, "\(value)")]
        }
    }
}

/// A configuration problem, with a message naming the key and where its value came from.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One setting: its YAML key, environment variable, flag, and how its value is applied.
public struct ConfigurationKey: Sendable {
    /// The key in the YAML file (dotted for nested keys).
    public let name: String
    /// The environment variable.
    public let environment: String
    /// The command line flag, without `--`.
    public let flag: String
    /// What it sets, for help texts.
    public let help: String
    let apply: @Sendable (String, inout LarderConfiguration) throws -> Void

    /// Every setting Larder reads.
    public static let all: [ConfigurationKey] = [
        ConfigurationKey(name: "listen", environment: "LARDER_LISTEN", flag: "listen", help: "HOST:PORT to listen on (default 127.0.0.1:8080)") { v, c in
            guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]), (0...65535).contains(port) else {
                throw ConfigurationError("expected HOST:PORT, got '\(v)'")
            }
            var host = String(v[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            c.host = host.isEmpty ? "0.0.0.0" : host
            c.port = port
        },
        ConfigurationKey(name: "data_dir", environment: "LARDER_DATA_DIR", flag: "data-dir", help: "data directory holding the index and blobs (default ./larder-data)") { v, c in
            c.dataDirectory = v
        },
        ConfigurationKey(name: "base_url", environment: "LARDER_BASE_URL", flag: "base-url", help: "public URL of Larder used in rewritten links (default: from each request's Host header)") { v, c in
            guard let url = URL(string: v), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
                throw ConfigurationError("expected an http:// or https:// URL, got '\(v)'")
            }
            c.baseURL = v.hasSuffix("/") ? String(v.dropLast()) : v
        },
        ConfigurationKey(name: "metadata_ttl", environment: "LARDER_METADATA_TTL", flag: "metadata-ttl", help: "seconds metadata is served before revalidation; 0 always revalidates (default 300)") { v, c in
            c.engine.metadataTTL = .seconds(try wholeNumber(v))
        },
        ConfigurationKey(name: "upstreams.pypi", environment: "LARDER_UPSTREAM_PYPI", flag: "upstream-pypi", help: "the PyPI upstream's simple index URL, ending in /simple (no default)") { v, c in
            c.pypiUpstream = try UpstreamEndpoint(v, setting: "upstreams.pypi")
        },
        ConfigurationKey(name: "upstreams.npm", environment: "LARDER_UPSTREAM_NPM", flag: "upstream-npm", help: "the npm upstream registry URL (default \(NpmAdapter.defaultUpstream))") { v, c in
            c.npmUpstream = try UpstreamEndpoint(v, setting: "upstreams.npm")
        },
        ConfigurationKey(name: "upstream_connect_timeout", environment: "LARDER_UPSTREAM_CONNECT_TIMEOUT", flag: "upstream-connect-timeout", help: "seconds to connect to an upstream (default 10)") { v, c in
            c.timeouts.connect = .seconds(try positiveNumber(v))
        },
        ConfigurationKey(name: "upstream_read_timeout", environment: "LARDER_UPSTREAM_READ_TIMEOUT", flag: "upstream-read-timeout", help: "seconds an upstream may stay silent mid-response; then 504 (default 60)") { v, c in
            c.timeouts.read = .seconds(try positiveNumber(v))
        },
        ConfigurationKey(name: "upstream_retry_after", environment: "LARDER_UPSTREAM_RETRY_AFTER", flag: "upstream-retry-after", help: "seconds an unreachable upstream host is not retried; meanwhile stale metadata is served at once (default 5)") { v, c in
            c.timeouts.retryAfterFailure = .seconds(try positiveNumber(v))
        },
        ConfigurationKey(name: "memory_cache_mb", environment: "LARDER_MEMORY_CACHE_MB", flag: "memory-cache-mb", help: "MiB of small objects and rendered metadata kept in memory (default 256)") { v, c in
            c.engine.memoryCacheBytes = try wholeNumber(v) << 20
        },
        ConfigurationKey(name: "memory_object_limit_kb", environment: "LARDER_MEMORY_OBJECT_LIMIT_KB", flag: "memory-object-limit-kb", help: "largest object in KiB kept in memory; larger ones stream from disk (default 1024)") { v, c in
            c.engine.memoryObjectLimit = try wholeNumber(v) << 10
        },
        ConfigurationKey(name: "read_chunk_kb", environment: "LARDER_READ_CHUNK_KB", flag: "read-chunk-kb", help: "KiB read from disk at a time when streaming a large object (default 1024)") { v, c in
            c.engine.chunkSize = try positiveNumber(v) << 10
        },
        ConfigurationKey(name: "mirror_api", environment: "LARDER_MIRROR_API", flag: "mirror-api", help: "serve the mirror job API at /api/mirror: true or false (default false)") { v, c in
            switch v.lowercased() {
            case "true", "yes", "on", "1": c.mirrorAPI = true
            case "false", "no", "off", "0": c.mirrorAPI = false
            default: throw ConfigurationError("expected true or false, got '\(v)'")
            }
        },
        ConfigurationKey(name: "max_request_body_kb", environment: "LARDER_MAX_REQUEST_BODY_KB", flag: "max-request-body-kb", help: "largest request body in KiB (mirror API requests, npm audit) (default 16384)") { v, c in
            c.maxRequestBody = try positiveNumber(v) << 10
        },
        ConfigurationKey(name: "log_level", environment: "LARDER_LOG_LEVEL", flag: "log-level", help: "trace, debug, info, notice, warning, error or critical (default info)") { v, c in
            guard let level = Logger.Level(rawValue: v.lowercased()) else { throw ConfigurationError("expected trace, debug, info, notice, warning, error or critical, got '\(v)'") }
            c.logLevel = level
        },
    ]

    /// The key called `name` (YAML name or flag name).
    public static func named(_ name: String) -> ConfigurationKey? {
        all.first { $0.name == name || $0.flag == name }
    }

    private static func wholeNumber(_ v: String) throws -> Int {
        guard let n = Int(v.trimmingCharacters(in: .whitespaces)), n >= 0 else { throw ConfigurationError("expected a whole number ≥ 0, got '\(v)'") }
        return n
    }

    private static func positiveNumber(_ v: String) throws -> Int {
        let n = try wholeNumber(v)
        guard n > 0 else { throw ConfigurationError("expected a whole number > 0, got '\(v)'") }
        return n
    }
}
