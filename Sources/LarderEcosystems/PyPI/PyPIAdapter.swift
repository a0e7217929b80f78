import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat

/// The Python Package Index's simple repository API (PEP 503, PEP 691, PEP 658/714), mounted at
/// `/pypi/`: project pages at `/pypi/simple/<project>/`, files at `/pypi/files/<project>/<file>`.
///
/// Files are looked up by name in their project's page, so Larder only ever fetches URLs its
/// configured upstream published, with the digest that upstream promised.
public struct PyPIAdapter: Ecosystem {
    public static let name = "pypi"
    /// No default: the upstream index must be configured.
    public static let defaultUpstreams: [String] = []
    /// The upstream simple indexes (each ending in `/simple`), tried in order.
    public let upstreams: [Upstream]

    /// Media types a client may ask for, in the order preferred on a tie.
    static let offered = ["text/html", SimpleProject.jsonType, "application/vnd.pypi.simple.latest+json", SimpleProject.htmlType, "application/vnd.pypi.simple.latest+html"]
    static let upstreamAccept = "\(SimpleProject.jsonType), \(SimpleProject.htmlType);q=0.2, text/html;q=0.1"

    /// Creates the adapter.
    public init(upstreams: [Upstream]) {
        self.upstreams = upstreams
    }

    public func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        guard request.method == .get || request.method == .head else {
            throw LarderError(.methodNotAllowed, "Larder's PyPI routes are read-only; upload to your upstream index directly")
        }
        try request.path.requireNoEncodedSlash()
        let segments = request.path.segments
        let base = "\(request.baseURL)/\(mount)"
        switch (segments.first, segments.count) {
        case ("simple", 1):
            guard request.path.hasTrailingSlash else { return .response(.redirect("\(base)/simple/")) }
            return .route(try indexRoute(request: request))
        case ("simple", 2):
            let name = segments[1]
            guard PyPIName.isValid(name) else { throw LarderError.badRequest("'\(name)' is not a valid Python project name") }
            let normalized = PyPIName.normalize(name)
            guard normalized == name, request.path.hasTrailingSlash else { return .response(.redirect("\(base)/simple/\(normalized)/")) }
            return .route(try projectRoute(normalized, request: request))
        case ("files", 3):
            let project = segments[1]
            guard PyPIName.isValid(project) else { throw LarderError.badRequest("'\(project)' is not a valid Python project name") }
            return .route(try fileRoute(project: PyPIName.normalize(project), filename: segments[2], engine: engine))
        default:
            throw LarderError.notFound("no PyPI route here: Larder serves /pypi/simple/, /pypi/simple/<project>/ and /pypi/files/<project>/<file>")
        }
    }

    private func configuredUpstreams() throws -> [Upstream] {
        guard !upstreams.isEmpty else {
            throw LarderError(.notConfigured, "the PyPI upstream is not configured: set \(Self.upstreamSetting) to the upstream's simple index URL, ending in /simple")
        }
        return upstreams
    }

    /// The client's preferred representation, or a 406 when it accepts none Larder offers.
    private func negotiate(_ request: ClientRequest?) throws -> String {
        guard let request else { return SimpleProject.jsonType }
        guard let chosen = MediaRange.preferred(request.header("accept"), available: Self.offered) else {
            throw LarderError(.badRequest, "none of the media types in Accept is served; Larder offers \(Self.offered.joined(separator: ", "))")
        }
        return chosen.replacingOccurrences(of: ".latest+", with: ".v1+")
    }

    /// The route of the root project list.
    func indexRoute(request: ClientRequest) throws -> Route {
        let upstreams = try configuredUpstreams()
        let type = try negotiate(request)
        let projectBase = "\(request.baseURL)/\(mount)/simple/"
        let presenter = MetadataPresenter(variant: "\(type)|\(request.baseURL)") { document in
            let index = try SimpleIndex.parse(Data(document.body.readableBytesView), contentType: document.contentType)
            if type.hasSuffix("json") {
                return Presentation(body: ByteBuffer(data: try index.json()), contentType: type)
            }
            return Presentation(body: ByteBuffer(string: index.html { projectBase + $0 + "/" }), contentType: type)
        }
        var route = Route(ecosystem: ecosystem, key: "pypi/simple-index", kind: .metadata, presenter: presenter) {
            upstreams.map { $0.source(path: "/", headers: [("Accept", Self.upstreamAccept)]) }
        }
        route.validate = SimplePageValidation.indexPage
        return route
    }

    /// The route of project `name` (normalised). With a request, it presents the page the
    /// client asked for; without one (internal use), it presents PEP 691 JSON.
    public func projectRoute(_ name: String, request: ClientRequest?) throws -> Route {
        let upstreams = try configuredUpstreams()
        let type = try negotiate(request)
        let fileBase = "\(request?.baseURL ?? "")/\(mount)/files/\(name)/"
        let presenter = MetadataPresenter(variant: "\(type)|\(request?.baseURL ?? "")") { document in
            let page = try Self.parse(document, name: name).filtered(document.versions)
            let link: (SimpleFile) -> String = { fileBase + URLPath.encodeSegment($0.filename) }
            if type.hasSuffix("json") {
                return Presentation(body: ByteBuffer(data: try page.json(fileURL: link)), contentType: type)
            }
            return Presentation(body: ByteBuffer(string: page.html(fileURL: link)), contentType: type)
        }
        var route = Route(ecosystem: ecosystem, key: "pypi/simple/\(name)", kind: .metadata, package: PackageRef(name), presenter: presenter) {
            upstreams.map { $0.source(path: "/\(name)/", headers: [("Accept", Self.upstreamAccept)]) }
        }
        route.validate = SimplePageValidation.projectPage
        route.versionDates = { document in try Self.parse(document, name: name).versionDates }
        route.links = { document in try Self.parse(document, name: name).links }
        return route
    }

    /// The route of a distribution file (or its PEP 658 `.metadata` file) of project `project`.
    /// It comes from where the project page links it (recorded when the page was stored), under
    /// the rules (credentials, hosts) of the upstream that served the page.
    public func fileRoute(project: String, filename: String, engine: Engine) throws -> Route {
        let upstreams = try configuredUpstreams()
        let pageRoute = try projectRoute(project, request: nil)
        var route = Route(ecosystem: ecosystem, key: "pypi/files/\(project)/\(filename)", kind: .artifact, package: PackageRef(project, version: Self.version(of: filename.hasSuffix(".metadata") ? String(filename.dropLast(".metadata".count)) : filename)), contentType: Self.contentType(of: filename)) {
            guard let found = try await engine.artifactLink(pageRoute, named: filename) else {
                throw LarderError.notFound("project '\(project)' has no file '\(filename)' upstream")
            }
            guard let upstream = upstreams.upstream(withID: found.upstream) else { return [] }
            return [Source(request: try upstream.request(url: found.link.url), integrity: found.link.integrity)]
        }
        // Installers working from a lock (uv) fetch files without reading the page: it dates them.
        route.datedBy = [pageRoute]
        return route
    }

    static func parse(_ document: MetadataDocument, name: String) throws -> SimpleProject {
        try SimpleProject.parse(Data(document.body.readableBytesView), contentType: document.contentType, sourceURL: document.sourceURL, fallbackName: name)
    }

    static func contentType(of filename: String) -> String {
        if filename.hasSuffix(".metadata") { return "text/plain; charset=utf-8" }
        if filename.hasSuffix(".whl") || filename.hasSuffix(".zip") { return "application/zip" }
        if filename.hasSuffix(".tar.gz") || filename.hasSuffix(".tgz") { return "application/gzip" }
        return "application/octet-stream"
    }
}
