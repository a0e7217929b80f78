import Foundation
public import LarderCore
import NIOCore

/// Terraform and OpenTofu providers and modules, mounted at `/terraform/`:
///
/// - `/terraform/providers/` speaks the provider network mirror protocol (`<host>/<namespace>/
///   <type>/index.json`, `<version>.json`, archives in the packed layout), translated from the
///   provider registry protocol of the registry configured for `<host>`. A provider archive is
///   verified against the SHA-256 its registry promised, and that promise against the
///   registry's `SHA256SUMS`, whose signature is checked against the signing keys the registry
///   publishes (`OpenPGPVerifier`): Terraform checks no signature when it installs from a mirror.
/// - `/terraform/modules/v1/<host>/` speaks the module registry protocol: versions, and
///   downloads whose `X-Terraform-Get` is rewritten through Larder when it names an HTTP archive
///   (cached as an immutable artifact); `git::` and other sources pass through unchanged.
/// - `/.well-known/terraform.json` advertises `modules.v1` for the first configured registry,
///   so module sources may name Larder's own host.
///
/// Registries are configured per host name (`upstreams.terraform.<host>: url`); a registry
/// with no name answers for its URL's host. Hosts not configured are refused: a client cannot
/// make Larder connect to a host of its choosing.
public struct TerraformAdapter: Ecosystem {
    public static let name = "terraform"
    /// The public registries of Terraform and OpenTofu.
    public static let defaultUpstreams = ["https://registry.terraform.io", "https://registry.opentofu.org"]
    /// Where the public registries' provider archives are published.
    static let publicArchiveHosts: [String: [String]] = [
        "registry.terraform.io": ["releases.hashicorp.com", "github.com"],
        "registry.opentofu.org": ["github.com"],
    ]
    /// The registries, each answering for one host name.
    public let upstreams: [Upstream]
    /// The platforms (`os_arch`) whose archives the mirror fetches.
    public let mirrorPlatforms: [String]
    /// Checks `SHA256SUMS` signatures.
    let verifier = OpenPGPVerifier()
    /// Signatures already found good.
    let goodSignatures = TerraformSignatureCache()

    /// Creates the adapter, mirroring archives for `linux_amd64`.
    public init(upstreams: [Upstream]) {
        self.init(upstreams: upstreams, mirrorPlatforms: ["linux_amd64"])
    }

    /// Creates the adapter, mirroring archives for `mirrorPlatforms`; the public registries may
    /// name their archive hosts.
    public init(upstreams: [Upstream], mirrorPlatforms: [String]) {
        self.mirrorPlatforms = mirrorPlatforms
        self.upstreams = upstreams.addingPublicHosts(Self.publicArchiveHosts)
    }

    /// The host name a registry answers for.
    static func hostname(of upstream: Upstream) -> String { upstream.name ?? upstream.origin.authority }

    public var wellKnownNames: [String] { ["terraform.json"] }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder serves Terraform registries read-only (GET and HEAD)")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        switch segments.first {
        case "terraform.json" where segments.count == 1:
            return .response(discoveryDocument(baseURL: request.baseURL, engine: engine))
        case "providers" where segments.count == 5:
            return try await providerRequest(Array(segments.dropFirst()), request: request, engine: engine)
        case "modules" where segments.count >= 7 && segments[1] == "v1":
            return try await moduleRequest(Array(segments.dropFirst(2)), request: request, engine: engine)
        default:
            throw LarderError.notFound(
                "no Terraform route here: Larder serves /terraform/providers/<host>/<namespace>/<type>/index.json (a network mirror) and /terraform/modules/v1/<host>/<namespace>/<name>/<system>/… (a module registry)")
        }
    }

    /// Larder's own service discovery document: modules of the first configured registry the
    /// requester may read.
    func discoveryDocument(baseURL: String, engine: Engine) -> EngineResponse {
        var services: [String: String] = [:]
        if let first = upstreams.first(where: { engine.mayRead($0, ecosystem: ecosystem) }) { services["modules.v1"] = "\(baseURL)/\(mount)/modules/v1/\(Self.hostname(of: first))/" }
        return Self.json(services)
    }

    /// The registry configured for `host`; with `engine`, among those the requester may read
    /// (the others are neither used nor named).
    func upstream(for host: String, engine: Engine? = nil) throws -> Upstream {
        try TerraformNames.require(TerraformNames.isHostname, [host], what: "registry host name")
        let readable = upstreams.filter { engine?.mayRead($0, ecosystem: ecosystem) ?? true }
        if let upstream = readable.first(where: { Self.hostname(of: $0) == host }) { return upstream }
        let known = readable.map(Self.hostname(of:)).joined(separator: ", ")
        throw LarderError.notFound(
            "no Terraform registry is configured for host '\(host)' (configured: \(known.isEmpty ? "none" : known)); add it as upstreams.terraform.\(host): https://\(host)")
    }

    /// The base URL (ending in `/`) of `service` (`providers.v1`, `modules.v1`) on `upstream`, from
    /// its service discovery document (metadata: cached, revalidated, stale when it is down).
    func serviceURL(_ service: String, of upstream: Upstream, engine: Engine) async throws -> String {
        let host = Self.hostname(of: upstream)
        let documentURL = upstream.baseURL + "/.well-known/terraform.json"
        var route = Route(ecosystem: ecosystem, key: "terraform/\(host)/discovery", kind: .metadata, contentType: "application/json") {
            [upstream.source(path: "/.well-known/terraform.json")]
        }
        route.validate = { body, _ in _ = try TerraformDocuments.services(body) }
        let services = try await engine.withMetadata(route) { try TerraformDocuments.services($0.body) }
        guard let value = services[service] else {
            throw LarderError(.notFound, "the registry for \(host) (\(upstream.setting)) offers no \(service) service")
        }
        guard let base = URL(string: documentURL), let resolved = URL(string: value, relativeTo: base)?.absoluteString else {
            throw LarderError(.upstreamFailed, "the registry for \(host) names '\(value.prefix(200))' as its \(service) service, which is not a URL")
        }
        // Checked like any URL a document names: http(s), on the registry's host or an allowed one.
        _ = try upstream.request(url: resolved)
        return resolved.hasSuffix("/") ? resolved : resolved + "/"
    }

    /// A source for `path` below `service` on `upstream`.
    func serviceSource(_ service: String, path: String, of upstream: Upstream, engine: Engine) async throws -> Source {
        Source(request: try upstream.request(url: try await serviceURL(service, of: upstream, engine: engine) + path))
    }

    /// A JSON answer.
    static func json(_ object: Any) -> EngineResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return EngineResponse(status: 200, headers: [("Content-Type", "application/json")], body: .buffer(ByteBuffer(bytes: body)))
    }
}
