import ArgumentParser
import Foundation
import LarderServer

/// The settings every command accepts; each flag is a key of `ConfigurationKey.all`.
struct SettingsOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file.")
    var config: String?
    @Option(name: .long, help: "HOST:PORT to listen on (default 127.0.0.1:8080).")
    var listen: String?
    @Option(name: .customLong("data-dir"), help: "Data directory holding the index and blobs (default ./larder-data).")
    var dataDir: String?
    @Option(name: .customLong("base-url"), help: "Public URL of Larder used in rewritten links.")
    var baseURL: String?
    @Option(name: .customLong("metadata-ttl"), help: "Seconds metadata is served before revalidation (default 300).")
    var metadataTTL: String?
    @Option(name: .customLong("upstream"), help: ArgumentHelp("An ecosystem's upstream, replacing its configured list; repeatable.", valueName: "ecosystem=url"))
    var upstreams: [String] = []
    @Option(name: .customLong("upstream-artifact-hosts"), help: ArgumentHelp("Hosts an ecosystem's upstreams may name besides their own; repeatable.", valueName: "ecosystem=host,host"))
    var upstreamArtifactHosts: [String] = []
    @Option(name: .customLong("upstream-ca-file"), help: "PEM file of certificate authorities trusted for https upstreams besides the system's.")
    var upstreamCAFile: String?
    @Option(name: .customLong("verify-on-hit-timeout"), help: "Seconds a verify_on_hit check may take before the cached copy is served (default 2).")
    var verifyOnHitTimeout: String?
    @Option(name: .customLong("revalidation-deadline"), help: "Seconds a revalidation is awaited before stale metadata is served (default 2).")
    var revalidationDeadline: String?
    @Option(name: .customLong("upstream-connect-timeout"), help: "Seconds to connect to an upstream (default 10).")
    var upstreamConnectTimeout: String?
    @Option(name: .customLong("upstream-read-timeout"), help: "Seconds an upstream may stay silent mid-response (default 60).")
    var upstreamReadTimeout: String?
    @Option(name: .customLong("upstream-retry-after"), help: "Seconds an unreachable upstream host is not retried (default 5).")
    var upstreamRetryAfter: String?
    @Option(name: .customLong("client-header-timeout"), help: "Seconds a client has to send a request head, and a new connection its first request (default 60).")
    var clientHeaderTimeout: String?
    @Option(name: .customLong("client-body-timeout"), help: "Seconds a client may pause while sending a request body (default 60).")
    var clientBodyTimeout: String?
    @Option(name: .customLong("keepalive-timeout"), help: "Seconds an idle connection stays open after a response (default 75).")
    var keepaliveTimeout: String?
    @Option(name: .customLong("max-connections"), help: "Most client connections open at once; more wait to be accepted (default a quarter of the open file limit).")
    var maxConnections: String?
    @Option(name: .customLong("memory-cache-mb"), help: "MiB of small objects kept in memory (default 256).")
    var memoryCacheMB: String?
    @Option(name: .customLong("memory-object-limit-kb"), help: "Largest object in KiB kept in memory (default 1024).")
    var memoryObjectLimitKB: String?
    @Option(name: .customLong("read-chunk-kb"), help: "KiB read from disk at a time when streaming a large object.")
    var readChunkKB: String?
    @Option(name: .customLong("max-metadata-mb"), help: "Largest metadata document accepted from upstream, in MiB (default 256).")
    var maxMetadataMB: String?
    @Option(name: .customLong("metadata-memory-mb"), help: "MiB shared by all requests for metadata being checked, parsed or rendered (default 1024).")
    var metadataMemoryMB: String?
    @Option(name: .customLong("anonymous"), help: "What requests without a token may do: read or none (default: read on a loopback listener, none elsewhere).")
    var anonymous: String?
    @Option(name: .customLong("access-log"), help: "A file to append one JSON line per request to, or - for standard output (default none).")
    var accessLog: String?
    @Option(name: .customLong("mode"), help: "Which packages may enter: open or declared-only (default open).")
    var mode: String?
    @Option(name: .customLong("cooldown-default"), help: "How old a version must be before it is listed or served (30m, 12h, 3d, 2w; default 0: none).")
    var cooldownDefault: String?
    @Option(name: .customLong("cooldown-ecosystems"), help: "Cooldowns by ecosystem: npm=7d,pypi=1d.")
    var cooldownEcosystems: String?
    @Option(name: .customLong("cooldown-packages"), help: "Cooldowns by package URL: pkg:npm/left-pad=0.")
    var cooldownPackages: String?
    @Option(name: .customLong("cooldown-before"), help: "A freeze date: versions published after it are held back (2026-11-01).")
    var cooldownBefore: String?
    @Option(name: .customLong("populate"), help: "Whose cache misses are stored: anyone or writers (default anyone).")
    var populate: String?
    @Option(name: .customLong("mirror-api"), help: "Serve the mirror job API at /api/mirror: true or false (default false).")
    var mirrorAPI: String?
    @Option(name: .customLong("mirror-platforms"), help: "Platforms (os_arch, comma-separated) whose platform-specific artifacts the mirror fetches: Terraform providers (default linux_amd64).")
    var mirrorPlatforms: String?
    @Option(name: .customLong("max-request-body-kb"), help: "Largest request body in KiB (default 16384).")
    var maxRequestBodyKB: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: with --tls-key, Larder serves HTTPS.")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?
    @Option(name: .customLong("http-listen"), help: "HOST:PORT of a plain-HTTP listener beside the HTTPS one (needs --tls-cert and --tls-key).")
    var httpListen: String?

    /// The flags given, by configuration key flag name, in order.
    var flags: [(String, String)] {
        let given: [(String, String?)] = [
            ("listen", listen), ("data-dir", dataDir), ("base-url", baseURL), ("metadata-ttl", metadataTTL),
            ("upstream-ca-file", upstreamCAFile), ("verify-on-hit-timeout", verifyOnHitTimeout), ("revalidation-deadline", revalidationDeadline), ("upstream-connect-timeout", upstreamConnectTimeout),
            ("upstream-read-timeout", upstreamReadTimeout), ("upstream-retry-after", upstreamRetryAfter), ("client-header-timeout", clientHeaderTimeout), ("client-body-timeout", clientBodyTimeout), ("keepalive-timeout", keepaliveTimeout), ("max-connections", maxConnections), ("memory-cache-mb", memoryCacheMB),
            ("memory-object-limit-kb", memoryObjectLimitKB), ("read-chunk-kb", readChunkKB), ("max-metadata-mb", maxMetadataMB), ("metadata-memory-mb", metadataMemoryMB), ("anonymous", anonymous), ("populate", populate), ("mode", mode), ("cooldown-default", cooldownDefault), ("cooldown-ecosystems", cooldownEcosystems), ("cooldown-packages", cooldownPackages), ("cooldown-before", cooldownBefore), ("access-log", accessLog), ("mirror-api", mirrorAPI), ("mirror-platforms", mirrorPlatforms), ("max-request-body-kb", maxRequestBodyKB), ("log-level", logLevel),
            ("tls-cert", tlsCert), ("tls-key", tlsKey), ("http-listen", httpListen),
        ]
        return given.compactMap { name, value in value.map { (name, $0) } }
            + upstreams.map { ("upstream", $0) } + upstreamArtifactHosts.map { ("upstream-artifact-hosts", $0) }
    }

    /// The resolved configuration: defaults, file, environment, flags.
    func resolve() throws -> LarderConfiguration {
        do {
            return try LarderConfiguration.resolve(file: config, flags: flags)
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }
}
