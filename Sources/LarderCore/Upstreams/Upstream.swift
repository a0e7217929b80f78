import Foundation

/// One configured upstream registry of an ecosystem: its base URL, its credentials, the hosts its
/// metadata may send Larder to, and its rules. Adapters build every upstream request through it,
/// so credentials stay bound to the upstream's own origin and links that metadata names are
/// checked before anything is fetched.
public struct Upstream: Sendable, CustomStringConvertible {
    /// The base URL without credentials and without a trailing slash. It also identifies the
    /// upstream in the index (where each entry came from).
    public let baseURL: String
    /// The base URL's scheme, host and port: where the credentials may go.
    public let origin: URLOrigin
    /// The key it was configured under, for ecosystems with named upstreams (OCI registries,
    /// Terraform hosts); nil in a plain list.
    public let name: String?
    /// The setting that configured it (`upstreams.maven[0]`), named in error messages.
    public let setting: String
    /// Credentials, sent to `origin` only.
    let credentials: UpstreamCredentials?
    /// Hosts besides its own that its metadata may point artifacts at.
    public private(set) var artifactHosts: [HostPattern]
    /// Whether a cached artifact from this upstream is checked against it before each hit.
    public let verifyOnHit: Bool
    /// The largest artifact taken from it; larger ones are refused (announced) or cut off.
    public let maxArtifactBytes: Int64
    /// The longest one download from it may take, however steadily bytes arrive.
    public let maxFillDuration: Duration
    /// For ecosystems whose references are mutable names or digests (OCI tags): only digests
    /// are served from it, for teams that pin by digest.
    public let digestOnly: Bool
    /// For ecosystems whose files are named by path (plain files): the SHA-256 the configuration
    /// fixes for some paths, by path relative to the base URL.
    public let pinnedSHA256: [String: String]
    /// Who may read what comes from it (`readers`: token names and roles); empty for everyone.
    /// A restricted upstream is asked only for requesters granted it, and what it answers is
    /// cached apart from what everyone else sees (`UpstreamGrant`).
    public let readers: [String]

    /// The default largest artifact: 20 GiB.
    public static let defaultMaxArtifactBytes: Int64 = 20 << 30
    /// The default longest download: two hours.
    public static let defaultMaxFillDuration: Duration = .seconds(7200)
    /// Performs the protocol's token handshake when this upstream answers 401 with a challenge.
    public var challengeHandler: (any UpstreamChallengeHandler)?

    /// The identifier recorded with entries fetched from it.
    public var id: String { baseURL }
    /// Whether requests to it carry credentials.
    public var hasCredentials: Bool { credentials != nil }
    /// Whether only some requesters may read from it (`readers` is set).
    public var isRestricted: Bool { !readers.isEmpty }

    /// Parses a configured upstream. Credentials written into the URL (`https://user:token@host/`)
    /// are used when `credentials` is nil. Throws a message naming `setting` when the URL is not
    /// an http:// or https:// URL with a host.
    public init(
        url: String, setting: String, name: String? = nil, credentials: UpstreamCredentials? = nil,
        artifactHosts: [HostPattern] = [], verifyOnHit: Bool = false,
        maxArtifactBytes: Int64 = Upstream.defaultMaxArtifactBytes, maxFillDuration: Duration = Upstream.defaultMaxFillDuration,
        digestOnly: Bool = false, pinnedSHA256: [String: String] = [:], readers: [String] = []
    ) throws(LarderError) {
        guard var components = URLComponents(string: url.trimmingCharacters(in: .whitespaces)), let origin = URLOrigin(components) else {
            throw LarderError(.notConfigured, "\(setting) must be an http:// or https:// URL with a host, got '\(UpstreamRequest.redact(url))'")
        }
        var credentials = credentials
        if let user = components.percentEncodedUser, credentials == nil {
            let password = components.percentEncodedPassword ?? ""
            credentials = .basic(username: user.removingPercentEncoding ?? user, password: password.removingPercentEncoding ?? password)
        }
        components.user = nil
        components.password = nil
        components.fragment = nil
        var base = components.string ?? url
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.origin = origin
        self.name = name
        self.setting = setting
        self.credentials = credentials
        self.artifactHosts = artifactHosts
        self.verifyOnHit = verifyOnHit
        self.maxArtifactBytes = maxArtifactBytes
        self.maxFillDuration = maxFillDuration
        self.digestOnly = digestOnly
        self.pinnedSHA256 = pinnedSHA256
        self.readers = readers
    }

    /// A request for `path` below the base URL (`path` starts with `/`, or is empty).
    public func request(path: String, headers: [(String, String)] = []) -> UpstreamRequest {
        bound(UpstreamRequest(url: baseURL + path, headers: headers))
    }

    /// A request for a URL this upstream's metadata named (a file link, a tarball URL). Only
    /// http and https are fetched, and only on the upstream's own host or one of its
    /// `artifact_hosts`; anything else is refused with a message naming the host and the
    /// setting that would allow it. User-info in the URL is dropped: credentials come from
    /// configuration only.
    public func request(url: String, headers: [(String, String)] = []) throws(LarderError) -> UpstreamRequest {
        guard var components = URLComponents(string: url) else {
            throw LarderError(.upstreamFailed, "upstream \(baseURL) named '\(UpstreamRequest.redact(String(url.prefix(200))))', which is not a valid URL")
        }
        guard let target = URLOrigin(components) else {
            throw LarderError(.upstreamFailed, "upstream \(baseURL) named '\(UpstreamRequest.redact(String(url.prefix(200))))' (scheme \(components.scheme ?? "none")); Larder fetches only http:// and https:// URLs with a host")
        }
        guard mayFetch(target) else {
            throw LarderError(.upstreamFailed, "upstream \(baseURL) points at host \(target.authority), which it may not name; to allow it, add \(target.host) to \(setting).artifact_hosts")
        }
        components.user = nil
        components.password = nil
        components.fragment = nil
        return bound(UpstreamRequest(url: components.string ?? url, headers: headers))
    }

    /// A request below the base URL without this upstream's credentials, for requests Larder
    /// forwards without caching (npm's `/-/` endpoints): a client's audit or search must not run
    /// under Larder's own identity.
    public func anonymousRequest(path: String, headers: [(String, String)] = []) -> UpstreamRequest {
        var request = UpstreamRequest(url: baseURL + path, headers: headers)
        request.upstreamID = id
        return request
    }

    /// A source for `path` below the base URL, checked against `integrity` when given.
    public func source(path: String, headers: [(String, String)] = [], integrity: Integrity? = nil) -> Source {
        Source(request: request(path: path, headers: headers), integrity: integrity)
    }

    /// The same upstream, allowed to fetch from `hosts` too.
    public func addingArtifactHosts(_ hosts: [HostPattern]) -> Upstream {
        var copy = self
        copy.artifactHosts += hosts.filter { !artifactHosts.contains($0) }
        return copy
    }

    /// Whether metadata of this upstream may send Larder to `target`.
    public func mayFetch(_ target: URLOrigin) -> Bool {
        (target.host == origin.host && target.port == origin.port) || artifactHosts.contains { $0.matches(target) }
    }

    private func bound(_ request: UpstreamRequest) -> UpstreamRequest {
        var request = request
        request.credentials = credentials.map { (origin, $0) }
        request.challengeHandler = challengeHandler
        request.upstreamID = id
        request.limits = (maxArtifactBytes, maxFillDuration, setting)
        request.isPrivate = credentials != nil || isRestricted
        return request
    }

    public var description: String { baseURL }
}
