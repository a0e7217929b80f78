import Foundation
import LarderCore
import LarderPolicy
import Logging

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
            (c.host, c.port) = try hostAndPort(v)
        },
        ConfigurationKey(name: "http_listen", environment: "LARDER_HTTP_LISTEN", flag: "http-listen", help: "HOST:PORT of a plain-HTTP listener beside the HTTPS one (needs tls.cert and tls.key; default none)") { v, c in
            c.plainHTTP = try hostAndPort(v)
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
        ConfigurationKey(name: "upstream_ca_file", environment: "LARDER_UPSTREAM_CA_FILE", flag: "upstream-ca-file", help: "PEM file of certificate authorities trusted for https upstreams besides the system's (SSL_CERT_FILE is read too)") { v, c in
            c.trust.additionalCAFiles.append(v)
        },
        ConfigurationKey(name: "verify_on_hit_timeout", environment: "LARDER_VERIFY_ON_HIT_TIMEOUT", flag: "verify-on-hit-timeout", help: "seconds (decimals allowed) a verify_on_hit check may take before the cached copy is served (default 2)") { v, c in
            c.engine.hitCheckTimeout = try seconds(v)
        },
        ConfigurationKey(name: "revalidation_deadline", environment: "LARDER_REVALIDATION_DEADLINE", flag: "revalidation-deadline", help: "seconds (decimals allowed) a revalidation of expired metadata is awaited before the stored copy is served stale (default 2)") { v, c in
            c.engine.revalidationDeadline = try seconds(v)
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
        ConfigurationKey(name: "client_header_timeout", environment: "LARDER_CLIENT_HEADER_TIMEOUT", flag: "client-header-timeout", help: "seconds (decimals allowed) a client has to send a request's head, from its first byte, and a new connection to send its first request (default 60)") { v, c in
            c.connections.header = try seconds(v)
        },
        ConfigurationKey(name: "client_body_timeout", environment: "LARDER_CLIENT_BODY_TIMEOUT", flag: "client-body-timeout", help: "seconds (decimals allowed) a client may pause while sending a request body (default 60)") { v, c in
            c.connections.body = try seconds(v)
        },
        ConfigurationKey(name: "keepalive_timeout", environment: "LARDER_KEEPALIVE_TIMEOUT", flag: "keepalive-timeout", help: "seconds (decimals allowed) an idle connection stays open after a response (default 75)") { v, c in
            c.connections.keepAlive = try seconds(v)
        },
        ConfigurationKey(name: "max_connections", environment: "LARDER_MAX_CONNECTIONS", flag: "max-connections", help: "most client connections open at once; more wait to be accepted (default a quarter of the open file limit)") { v, c in
            c.maxConnections = try positiveNumber(v)
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
        ConfigurationKey(name: "max_metadata_mb", environment: "LARDER_MAX_METADATA_MB", flag: "max-metadata-mb", help: "largest metadata document accepted from upstream, in MiB (default 256)") { v, c in
            c.engine.maxMetadataBytes = try positiveNumber(v) << 20
        },
        ConfigurationKey(name: "metadata_memory_mb", environment: "LARDER_METADATA_MEMORY_MB", flag: "metadata-memory-mb", help: "MiB shared by all requests for metadata documents being checked, parsed or rendered (default 1024)") { v, c in
            c.engine.metadataMemoryBytes = try positiveNumber(v) << 20
        },
        ConfigurationKey(name: "anonymous", environment: "LARDER_ANONYMOUS", flag: "anonymous", help: "what requests without a token may do: read or none (default: read on a loopback listener, none on any other address)") { v, c in
            switch v.lowercased() {
            case "read": c.anonymous = .some(.read)
            case "none": c.anonymous = .some(nil)
            default: throw ConfigurationError("expected read or none, got '\(v)'")
            }
        },
        ConfigurationKey(name: "populate", environment: "LARDER_POPULATE", flag: "populate", help: "whose cache misses are stored: anyone, or writers (misses of requests without a write token are streamed from upstream, verified, and not kept; default anyone)") { v, c in
            guard let populate = LarderConfiguration.Populate(rawValue: v.lowercased()) else { throw ConfigurationError("expected anyone or writers, got '\(v.prefix(100))'") }
            c.populate = populate
        },
        ConfigurationKey(name: "mode", environment: "LARDER_MODE", flag: "mode", help: "which packages may enter: open (any not blocked or revoked) or declared-only (only declared packages and versions; default open)") { v, c in
            guard let mode = PolicyMode(rawValue: v.lowercased()) else { throw ConfigurationError("expected open or declared-only, got '\(v.prefix(100))'") }
            c.mode = mode
        },
        ConfigurationKey(name: "cooldown.default", environment: "LARDER_COOLDOWN_DEFAULT", flag: "cooldown-default", help: "how old a version must be before it is listed or served, in ecosystems whose metadata dates versions: 30m, 12h, 3d, 2w or 0 (default 0: none)") { v, c in
            c.cooldown.defaultAge = try CooldownSettings.age(v)
        },
        ConfigurationKey(name: "cooldown.ecosystems", environment: "LARDER_COOLDOWN_ECOSYSTEMS", flag: "cooldown-ecosystems", help: "cooldowns by ecosystem, overriding the default: a mapping in the file, npm=7d,pypi=1d elsewhere (default none)") { v, c in
            c.cooldown.ecosystems = try CooldownSettings.ages(v)
        },
        ConfigurationKey(name: "cooldown.packages", environment: "LARDER_COOLDOWN_PACKAGES", flag: "cooldown-packages", help: "cooldowns by package URL (no version), overriding the ecosystem's; 0 lets a package through at once: a mapping in the file, pkg:npm/left-pad=0 elsewhere (default none)") { v, c in
            c.cooldown.packages = try CooldownSettings.ages(v)
        },
        ConfigurationKey(name: "cooldown.before", environment: "LARDER_COOLDOWN_BEFORE", flag: "cooldown-before", help: "a freeze date: versions published (or first seen) after it are held back whatever their age, 2026-11-01 or an RFC 3339 time (default none)") { v, c in
            c.cooldown.before = try CooldownSettings.date(v)
        },
        ConfigurationKey(name: "access_log", environment: "LARDER_ACCESS_LOG", flag: "access-log", help: "a file to append one JSON line per request to (time, client, token, ecosystem, package, version, cache, status, bytes), or - for standard output; empty: none (default none)") { v, c in
            c.accessLog = v.isEmpty ? nil : v
        },
        ConfigurationKey(name: "mirror_api", environment: "LARDER_MIRROR_API", flag: "mirror-api", help: "serve the mirror job API at /api/mirror: true or false (default false)") { v, c in
            switch v.lowercased() {
            case "true", "yes", "on", "1": c.mirrorAPI = true
            case "false", "no", "off", "0": c.mirrorAPI = false
            default: throw ConfigurationError("expected true or false, got '\(v)'")
            }
        },
        ConfigurationKey(name: "mirror_platforms", environment: "LARDER_MIRROR_PLATFORMS", flag: "mirror-platforms", help: "platforms (os_arch, comma-separated) whose platform-specific artifacts the mirror fetches: Terraform providers (default linux_amd64)") { v, c in
            let platforms = v.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            guard !platforms.isEmpty, platforms.allSatisfy({ $0.split(separator: "_").count == 2 && $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") } }) else {
                throw ConfigurationError("expected os_arch platforms separated by commas (linux_amd64,darwin_arm64), got '\(v.prefix(200))'")
            }
            c.mirrorPlatforms = platforms
        },
        ConfigurationKey(name: "max_request_body_kb", environment: "LARDER_MAX_REQUEST_BODY_KB", flag: "max-request-body-kb", help: "largest request body in KiB (mirror API requests, npm audit) (default 16384)") { v, c in
            c.maxRequestBody = try positiveNumber(v) << 10
        },
        ConfigurationKey(name: "log_level", environment: "LARDER_LOG_LEVEL", flag: "log-level", help: "trace, debug, info, notice, warning, error or critical (default info)") { v, c in
            guard let level = Logger.Level(rawValue: v.lowercased()) else { throw ConfigurationError("expected trace, debug, info, notice, warning, error or critical, got '\(v)'") }
            c.logLevel = level
        },
        ConfigurationKey(name: "tls.cert", environment: "LARDER_TLS_CERT", flag: "tls-cert", help: "PEM certificate chain; with tls.key, the listen address serves HTTPS") { v, c in
            c.tls.certificateFile = v
        },
        ConfigurationKey(name: "tls.key", environment: "LARDER_TLS_KEY", flag: "tls-key", help: "PEM private key of tls.cert") { v, c in
            c.tls.keyFile = v
        },
    ]

    /// The key called `name` (YAML name or flag name).
    public static func named(_ name: String) -> ConfigurationKey? {
        all.first { $0.name == name || $0.flag == name }
    }

    /// Seconds, decimals allowed, above 0 and at most 300.
    private static func seconds(_ v: String) throws -> Duration {
        guard let seconds = Double(v.trimmingCharacters(in: .whitespaces)), seconds > 0, seconds <= 300 else {
            throw ConfigurationError("expected seconds between 0 and 300, got '\(v)'")
        }
        return .milliseconds(Int(seconds * 1000))
    }

    private static func wholeNumber(_ v: String) throws -> Int {
        guard let n = Int(v.trimmingCharacters(in: .whitespaces)), n >= 0 else { throw ConfigurationError("expected a whole number ≥ 0, got '\(v)'") }
        return n
    }

    /// Parses `HOST:PORT` (`[::1]:8080`; an empty host is every address).
    private static func hostAndPort(_ v: String) throws -> (String, Int) {
        guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigurationError("expected HOST:PORT, got '\(v)'")
        }
        var host = String(v[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    private static func positiveNumber(_ v: String) throws -> Int {
        let n = try wholeNumber(v)
        guard n > 0 else { throw ConfigurationError("expected a whole number > 0, got '\(v)'") }
        return n
    }
}
