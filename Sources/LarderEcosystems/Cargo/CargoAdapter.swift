import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat

/// Cargo's sparse registry protocol, mounted at `/cargo/`: the registry's `config.json` with
/// `dl` and `api` pointing back at Larder, index files (metadata, served byte for byte) at
/// Cargo's paths (`1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`), and `.crate` files at
/// `api/v1/crates/<crate>/<version>/download`, verified against the SHA-256 (`cksum`) of the
/// index line that lists them. Publishing, yanking and owner changes are refused.
///
/// An upstream's URL is its index root, where its `config.json` lives; a `.crate` comes from
/// the `dl` location that upstream's `config.json` names (host-checked like any link).
public struct CargoAdapter: Ecosystem {
    public static let name = "cargo"
    /// crates.io's sparse index.
    public static let defaultUpstreams = ["https://index.crates.io"]
    /// Where crates.io keeps `.crate` files (its `dl`).
    static let publicDownloadHosts: [String: [String]] = ["index.crates.io": ["static.crates.io"]]
    /// The upstream indexes, tried in order.
    public let upstreams: [Upstream]

    /// Creates the adapter; crates.io's index may name its download host.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams.addingPublicHosts(Self.publicDownloadHosts)
    }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else { throw Self.notConfigured("Cargo") }
        return upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        let isRead = request.method == .get || request.method == .head
        if segments.first == "api" {
            guard isRead, segments.count == 6, segments[1] == "v1", segments[2] == "crates", segments[5] == "download" else {
                throw LarderError(.methodNotAllowed,
                    isRead ? "Larder mirrors Cargo's index and downloads only; search and the rest of the web API are the upstream registry's (cargo search --registry <upstream>)"
                        : "Larder is a read-only Cargo mirror: publish, yank and owner changes go to your upstream registry directly (cargo publish --index <upstream>)")
            }
            return .route(try crateRoute(segments[3], version: segments[4], engine: engine))
        }
        guard isRead else {
            throw LarderError(.methodNotAllowed, "Larder is a read-only Cargo mirror: publish to your upstream registry directly")
        }
        if segments == ["config.json"] {
            return .route(try clientConfigRoute(baseURL: request.baseURL, authenticationRequired: request.authenticationRequired))
        }
        guard let crate = CargoIndex.crate(atPath: segments) else {
            throw LarderError.notFound(
                "no Cargo route here: Larder serves /cargo/config.json, index files at Cargo's paths (/cargo/3/s/syn, /cargo/se/rd/serde) and /cargo/api/v1/crates/<crate>/<version>/download; point Cargo at sparse+\(request.baseURL)/cargo/")
        }
        return .route(try indexRoute(crate))
    }

    /// Cargo reads API errors as `{"errors": [{"detail": …}]}` and shows the detail.
    public func errorResponse(_ error: LarderError) -> EngineResponse {
        let body = (try? JSONSerialization.data(withJSONObject: ["errors": [["detail": error.message]]])) ?? Data()
        return EngineResponse(status: error.status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")] + error.headers, body: .buffer(ByteBuffer(data: body)))
    }

    /// The index file of `crate` (lower-case), from the first upstream that has it.
    public func indexRoute(_ crate: String) throws -> Route {
        let upstreams = try configuredUpstreams()
        let path = "/" + CargoIndex.path(of: crate)
        var route = Route(ecosystem: ecosystem, key: "cargo/index/\(crate)", kind: .metadata, package: PackageRef(crate)) {
            upstreams.map { $0.source(path: path) }
        }
        route.validate = { body, _ in _ = try CargoIndex.entries(body, crate: crate) }
        route.filterVersions = { document in CargoIndex.filtered(document.body, allowed: document.versions) }
        route.versionDates = { document in try CargoIndex.versionDates(document.body, crate: crate) }
        route.parseMemoryFactor = 4
        return route
    }

    /// `config.json` of `upstream`, as stored: where its `.crate` files are.
    func upstreamConfigRoute(_ upstream: Upstream) -> Route {
        var route = Route(ecosystem: ecosystem, key: "cargo/config/\(upstream.id)", kind: .metadata) {
            [upstream.source(path: "/config.json")]
        }
        route.validate = { body, _ in _ = try CargoConfig(body) }
        return route
    }

    /// The `config.json` clients get: the first upstream's, with `dl` and `api` pointing at
    /// Larder (`dl` without markers, so Cargo appends `/{crate}/{version}/download`), and
    /// `auth-required` where requests without a token are refused.
    public func clientConfigRoute(baseURL: String, authenticationRequired: Bool = false) throws -> Route {
        guard let first = try configuredUpstreams().first else { throw Self.notConfigured("Cargo") }
        var route = upstreamConfigRoute(first)
        let mountURL = "\(baseURL)/\(mount)"
        route.presenter = MetadataPresenter(variant: baseURL + (authenticationRequired ? " auth-required" : "")) { document in
            let body = try CargoConfig(document.body).rendered(download: "\(mountURL)/api/v1/crates", api: mountURL, authenticationRequired: authenticationRequired)
            return Presentation(body: body, contentType: "application/json")
        }
        return route
    }

    /// A `.crate` file: its checksum from the index line of `version`, its URL from the `dl` of
    /// the upstream whose index listed it.
    public func crateRoute(_ name: String, version: String, engine: Engine) throws -> Route {
        guard CargoIndex.isCrateName(name) else { throw LarderError.badRequest("'\(name.prefix(80))' is not a crate name") }
        let upstreams = try configuredUpstreams()
        let crate = name.lowercased()
        let index = try indexRoute(crate)
        var route = Route(ecosystem: ecosystem, key: "cargo/crate/\(crate)/\(version)", kind: .artifact, package: PackageRef(crate, version: version), contentType: "application/x-tar") {
            let (entries, upstreamID) = try await engine.withMetadata(index) { document in
                (try CargoIndex.entries(document.body, crate: crate), document.entry.upstream)
            }
            guard let entry = entries.first(where: { $0.vers == version }) else {
                throw LarderError.notFound("crate '\(crate)' has no version '\(version.prefix(80))' in its index upstream")
            }
            guard let upstream = upstreams.upstream(withID: upstreamID), let integrity = Integrity(algorithm: .sha256, hex: entry.cksum) else {
                throw Self.notConfigured("Cargo")
            }
            let config = upstreamConfigRoute(upstream)
            let template = try await engine.withMetadata(config) { try CargoConfig($0.body).resolvedDownload(relativeTo: $0.sourceURL) }
            let url = CargoIndex.downloadURL(template: template, crate: entry.name, version: entry.vers, checksum: entry.cksum)
            return [Source(request: try upstream.request(url: url), integrity: integrity)]
        }
        // cargo fetches what Cargo.lock names without reading the index: the index dates it.
        route.datedBy = [index]
        return route
    }
}
