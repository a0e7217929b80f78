import CompressNIO
import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Larder over HTTP, in front of fixture registries.
@Suite("Server over HTTP")
struct ServerTests {
    /// A fixture with one PyPI project and two npm packages, and Larder in front of it.
    static func start(configure: (inout LarderConfiguration) throws -> Void = { _ in }) async throws -> (FixtureRegistry, TestLarder) {
        let upstream = try await FixtureRegistry()
        upstream.publishPyPI(project: "Demo_Pkg", files: [PackageBuilder.wheel(name: "demo-pkg", version: "1.0")], format: .html, requiresPython: ">=3.8", yanked: [])
        let tarball = PackageFile(filename: "plain-1.0.0.tgz", data: Data("not really gzip".utf8))
        upstream.publishNpm(name: "plain", versions: [("1.0.0", tarball, [:])])
        upstream.publishNpm(name: "@sc/pkg", versions: [("2.0.0", PackageFile(filename: "pkg-2.0.0.tgz", data: Data("scoped bytes".utf8)), [:])])
        let larder = try await TestLarder {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            try $0.setUpstream("npm", upstream.url)
            try configure(&$0)
        }
        return (upstream, larder)
    }

    /// Runs `body` with a fixture and Larder in front of it, stopping both however it ends
    /// (stopping twice is harmless, so a body may stop either itself).
    static func withServers(_ body: (FixtureRegistry, TestLarder) async throws -> Void) async throws {
        let (upstream, larder) = try await start()
        try await larder.stopping(upstream) { try await body(upstream, larder) }
    }

    @Test("path tricks are 400 and never reach upstream", arguments: [
        "/pypi/simple/../../etc/passwd", "/pypi/simple/%2e%2e/x/", "/pypi/files/demo-pkg/a%2Fb.whl", "/npm/plain/-/..%2f..%2fx.tgz",
        "/npm/%2e%2e", "/pypi/simple/demo%00/", "/pypi//simple/", "/npm/plain/-/x%5cy.tgz", "/npm/@sc%2fpkg/-/a%2fb.tgz",
    ])
    func pathTricks(target: String) async throws {
        try await Self.withServers { upstream, larder in
            let answer = try await RawHTTP.send(port: larder.port, target: target)
            #expect(answer.status == 400)
            #expect(answer.text.contains("error"))
            #expect(upstream.requestCounts.isEmpty)
        }
    }

    @Test("PyPI routes without a configured upstream answer 503 naming the setting")
    func pypiNotConfigured() async throws {
        let larder = try await TestLarder()
        let answer = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/requests/")
        #expect(answer.status == 503)
        #expect(answer.text.contains("LARDER_UPSTREAM_PYPI"))
        await larder.stop()
    }

    @Test("PEP 691 negotiation: HTML by default, JSON when asked, links through Larder, attributes kept")
    func pypiNegotiation() async throws {
        try await Self.withServers { upstream, larder in
            let html = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/demo-pkg/")
            #expect(html.status == 200)
            #expect(html.headers["content-type"] == "text/html")
            #expect(html.text.contains("href=\"\(larder.url)/pypi/files/demo-pkg/demo_pkg-1.0-py3-none-any.whl#sha256="))
            #expect(html.text.contains("data-requires-python=\"&gt;=3.8\""))
            #expect(html.text.contains("data-core-metadata=\"sha256="))
            #expect(html.headers["vary"] == "Accept, Accept-Encoding")

            let json = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/demo-pkg/", headers: [("Accept", "application/vnd.pypi.simple.v1+json")])
            #expect(json.headers["content-type"] == "application/vnd.pypi.simple.v1+json")
            let object = try JSONSerialization.jsonObject(with: json.body) as! [String: Any]
            let file = (object["files"] as! [[String: Any]])[0]
            #expect(file["url"] as? String == "\(larder.url)/pypi/files/demo-pkg/demo_pkg-1.0-py3-none-any.whl")
            #expect(file["requires-python"] as? String == ">=3.8")

            let refused = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/demo-pkg/", headers: [("Accept", "image/png")])
            #expect(refused.status == 400)
            #expect(upstream.requests(to: "/simple/demo-pkg/") == 1)
        }
    }

    @Test("PyPI names are normalised by redirect, the trailing slash added, unknown files are 404")
    func pypiRedirects() async throws {
        try await Self.withServers { upstream, larder in
            let redirect = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/Demo_Pkg/")
            #expect(redirect.status == 301)
            #expect(redirect.headers["location"] == "\(larder.url)/pypi/simple/demo-pkg/")
            let slash = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/demo-pkg")
            #expect(slash.status == 301)
            let missing = try await RawHTTP.send(port: larder.port, target: "/pypi/files/demo-pkg/nope-1.0.whl")
            #expect(missing.status == 404)
            #expect(missing.text.contains("nope-1.0.whl"))
            let root = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/")
            #expect(root.status == 200)
            #expect(root.text.contains("\(larder.url)/pypi/simple/demo-pkg/"))
        }
    }

    @Test("a client's Host header shapes only its own answer; --base-url overrides it; bad hosts are 400")
    func hostHeader() async throws {
        try await Self.withServers { upstream, larder in
            let poisoned = try await RawHTTP.send(port: larder.port, target: "/npm/plain", headers: [("Host", "attacker.example:1")])
            #expect(poisoned.text.contains("http://attacker.example:1/npm/plain/-/plain-1.0.0.tgz"))
            let normal = try await RawHTTP.send(port: larder.port, target: "/npm/plain")
            #expect(normal.text.contains("\(larder.url)/npm/plain/-/plain-1.0.0.tgz"))
            #expect(!normal.text.contains("attacker"))
            for host in ["a/b@c", "[::1", "[::1]x", "::1", "user@host", "host:99999", "host:", "[zz::1]", "a b", "host:80:80"] {
                let bad = try await RawHTTP.send(port: larder.port, target: "/npm/plain", headers: [("Host", host)])
                #expect(bad.status == 400, "\(host)")
                #expect(bad.text.contains("not a host name or address"), "\(host)")
            }
            for host in ["[::1]:8080", "[::1]", "127.0.0.1:1", "mirror_1.corp.example"] {
                let good = try await RawHTTP.send(port: larder.port, target: "/npm/plain", headers: [("Host", host)])
                #expect(good.text.contains("http://\(host)/npm/plain/-/plain-1.0.0.tgz"), "\(host)")
            }
            // An absolute-form target names the authority; Host is ignored (RFC 9112 §3.2.2).
            let absolute = try await RawHTTP.send(port: larder.port, target: "http://mirror.corp.example:9000/npm/plain", headers: [("Host", "attacker.example")])
            #expect(absolute.status == 200)
            #expect(absolute.text.contains("http://mirror.corp.example:9000/npm/plain/-/plain-1.0.0.tgz"))
            #expect(!absolute.text.contains("attacker"))
            let twice = try await RawHTTP.send(port: larder.port, target: "/npm/plain", headers: [("Host", "one.example"), ("Host", "two.example")])
            #expect(twice.status == 400)
            let badAbsolute = try await RawHTTP.send(port: larder.port, target: "http://user@evil.example/npm/plain")
            #expect(badAbsolute.status == 400)
            await larder.stop()

            let configured = try await TestLarder {
                try $0.setUpstream("npm", upstream.url)
                $0.baseURL = "https://mirror.corp.example"
            }
            let fixed = try await RawHTTP.send(port: configured.port, target: "/npm/plain", headers: [("Host", "attacker.example")])
            #expect(fixed.text.contains("https://mirror.corp.example/npm/plain/-/plain-1.0.0.tgz"))
            await configured.stop()
        }
    }

    @Test("a file URL that leads back to Larder itself is refused at once (508), not waited on until the read timeout")
    func loopBack() async throws {
        let upstream = try await FixtureRegistry()
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url, artifactHosts: ["127.0.0.1"])
            $0.timeouts.read = .seconds(120)
        }
        let tarball = "\(larder.url)/npm/loop/-/loop-1.0.0.tgz"
        upstream.set("/loop", body: ByteBuffer(string: #"{"name": "loop", "versions": {"1.0.0": {"name": "loop", "version": "1.0.0", "dist": {"tarball": "\#(tarball)", "shasum": "\#(String(repeating: "0", count: 40))"}}}, "dist-tags": {"latest": "1.0.0"}}"#))
        let answer = try await RawHTTP.send(port: larder.port, target: "/npm/loop/-/loop-1.0.0.tgz", timeout: 60)
        #expect(answer.status == 508, "\(answer.text)")
        #expect(answer.text.contains("leads back to this Larder"), "\(answer.text)")
        // Another Larder in front (a chain of proxies) is not a loop: only this process's token counts.
        let chained = try await RawHTTP.send(port: larder.port, target: "/health", headers: [("Via", "1.1 larder-someoneelse")])
        #expect(chained.status == 200)
        await larder.stop()
        await upstream.stop()
    }

    @Test("metadata is gzipped for clients that ask, once per rendering, with its own ETag")
    func gzipMetadata() async throws {
        let upstream = try await FixtureRegistry()
        let versions = (0..<40).map { ("1.0.\($0)", PackageFile(filename: "many-1.0.\($0).tgz", data: Data("tarball \($0)".utf8)), [String: String]()) }
        upstream.publishNpm(name: "many", versions: versions)
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        try await larder.stopping(upstream) {
            let plain = try await RawHTTP.send(port: larder.port, target: "/npm/many")
            #expect(plain.headers["content-encoding"] == nil)
            #expect(plain.headers["vary"] == "Accept, Accept-Encoding")
            let zipped = try await RawHTTP.send(port: larder.port, target: "/npm/many", headers: [("Accept-Encoding", "gzip, deflate")])
            #expect(zipped.headers["content-encoding"] == "gzip")
            #expect(zipped.headers["content-length"] == "\(zipped.body.count)")
            #expect(zipped.body.count * 3 < plain.body.count)
            var buffer = ByteBuffer(bytes: zipped.body)
            let unzipped = try buffer.decompress(with: .gzip())
            #expect(Data(unzipped.readableBytesView) == plain.body)
            let etag = try #require(zipped.headers["etag"])
            #expect(etag != plain.headers["etag"])
            let again = try await RawHTTP.send(port: larder.port, target: "/npm/many", headers: [("Accept-Encoding", "gzip")])
            #expect(again.body == zipped.body)
            let notModified = try await RawHTTP.send(port: larder.port, target: "/npm/many", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", etag)])
            #expect(notModified.status == 304)
            #expect(notModified.headers["etag"] == etag)
            let refused = try await RawHTTP.send(port: larder.port, target: "/npm/many", headers: [("Accept-Encoding", "gzip;q=0, identity")])
            #expect(refused.headers["content-encoding"] == nil)
            #expect(refused.body == plain.body)
            // Small renderings are sent as they are.
            let version = try await RawHTTP.send(port: larder.port, target: "/npm/many/1.0.0", headers: [("Accept-Encoding", "gzip")])
            #expect(version.headers["content-encoding"] == nil)
            #expect(version.status == 200)
        }
    }

    @Test("npm: scoped packages in both forms, abbreviated documents, versions, tarballs and HEAD")
    func npmRoutes() async throws {
        try await Self.withServers { upstream, larder in
            let slash = try await RawHTTP.send(port: larder.port, target: "/npm/@sc/pkg")
            let encoded = try await RawHTTP.send(port: larder.port, target: "/npm/@sc%2fpkg")
            #expect(slash.status == 200)
            #expect(slash.body == encoded.body)
            #expect(slash.text.contains("\(larder.url)/npm/@sc/pkg/-/pkg-2.0.0.tgz"))

            let abbreviated = try await RawHTTP.send(port: larder.port, target: "/npm/plain", headers: [("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*")])
            #expect(abbreviated.headers["content-type"] == "application/vnd.npm.install-v1+json")
            // The fixture answers the full document whatever the Accept: Larder cuts it down.
            let short = try #require(try JSONSerialization.jsonObject(with: abbreviated.body) as? [String: Any])
            #expect(Set(short.keys).isSubset(of: ["name", "modified", "dist-tags", "versions"]), "\(short.keys)")
            #expect((short["versions"] as? [String: [String: Any]])?["1.0.0"]?["dist"] != nil)
            #expect(abbreviated.text.contains("\(larder.url)/npm/plain/-/plain-1.0.0.tgz"))

            let version = try await RawHTTP.send(port: larder.port, target: "/npm/plain/latest")
            #expect(version.status == 200)
            #expect((try JSONSerialization.jsonObject(with: version.body) as? [String: Any])?["version"] as? String == "1.0.0")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/plain/9.9.9").status == 404)

            let tarball = try await RawHTTP.send(port: larder.port, target: "/npm/@sc/pkg/-/pkg-2.0.0.tgz")
            #expect(tarball.text == "scoped bytes")
            let head = try await RawHTTP.send(port: larder.port, method: "HEAD", target: "/npm/@sc/pkg/-/pkg-2.0.0.tgz")
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "12")
            #expect(head.body.isEmpty)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/plain/-/plain-0.0.1.tgz").status == 404)
            #expect(upstream.requests(to: "/@sc/pkg/-/pkg-2.0.0.tgz") == 1)
        }
    }

    @Test("npm writes are 405 with a message; audit and search pass through; pass-through fails fast when upstream is down")
    func npmWritesAndPassThrough() async throws {
        try await Self.withServers { upstream, larder in
            let publish = try await RawHTTP.send(port: larder.port, method: "PUT", target: "/npm/plain", body: Data("{}".utf8))
            #expect(publish.status == 405)
            #expect(publish.text.contains("read-only"))
            #expect(try await RawHTTP.send(port: larder.port, method: "PUT", target: "/npm/-/user/org.couchdb.user:bob", body: Data("{}".utf8)).status == 405)
            #expect(try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/npm/plain/-rev/1").status == 405)

            upstream.set("/-/npm/v1/security/advisories/bulk", body: ByteBuffer(string: "{\"advisories\":{}}"), contentType: "application/json")
            let audit = try await RawHTTP.send(port: larder.port, method: "POST", target: "/npm/-/npm/v1/security/advisories/bulk", headers: [("Content-Type", "application/json")], body: Data("{\"plain\":[\"1.0.0\"]}".utf8))
            #expect(audit.status == 200)
            #expect(audit.text == "{\"advisories\":{}}")
            #expect(audit.headers["x-larder-cache"] == "PASS")
            upstream.set("/-/v1/search", body: ByteBuffer(string: "{\"objects\":[]}"), contentType: "application/json")
            let search = try await RawHTTP.send(port: larder.port, target: "/npm/-/v1/search?text=plain")
            #expect(search.text == "{\"objects\":[]}")
            #expect(upstream.requests(to: "/-/v1/search") == 1)

            await upstream.stop()
            let clock = ContinuousClock()
            let start = clock.now
            let down = try await RawHTTP.send(port: larder.port, target: "/npm/-/v1/search?text=plain")
            #expect(down.status == 502)
            #expect(down.text.contains(upstream.url))
            #expect(clock.now - start < .seconds(30))
        }
    }

    @Test("/health, /stats and unknown routes")
    func healthAndStats() async throws {
        try await Self.withServers { upstream, larder in
            let health = try await RawHTTP.send(port: larder.port, target: "/health")
            #expect(health.status == 200)
            #expect(health.text.contains("ok"))
            _ = try await RawHTTP.send(port: larder.port, target: "/npm/plain/-/plain-1.0.0.tgz")
            _ = try await RawHTTP.send(port: larder.port, target: "/npm/plain/-/plain-1.0.0.tgz")
            let stats = try await RawHTTP.send(port: larder.port, target: "/stats")
            let report = try JSONDecoder().decode(StatsReport.self, from: stats.body)
            let npm = try #require(report.ecosystems["npm"])
            #expect(npm.hits == 1)
            #expect(npm.misses == 1)
            #expect(npm.objects == 2)  // the package document and the tarball
            #expect(npm.bytesServedFromCache == 15)
            #expect(report.totals.objects == npm.objects)
            let unknown = try await RawHTTP.send(port: larder.port, target: "/nothing/here")
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("/npm/"))
        }
    }

    @Test("an access log line per request: misses and errors at info, hits at debug")
    func accessLog() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "plain", versions: [("1.0.0", PackageFile(filename: "plain-1.0.0.tgz", data: Data("bytes".utf8)), [:])])
        let handler = CapturingLogHandler()
        let larder = try await TestLarder(logHandler: handler) {
            try $0.setUpstream("npm", upstream.url)
            $0.logLevel = .debug
        }
        _ = try await RawHTTP.send(port: larder.port, target: "/npm/plain/-/plain-1.0.0.tgz")
        _ = try await RawHTTP.send(port: larder.port, target: "/npm/plain/-/plain-1.0.0.tgz")
        _ = try await RawHTTP.send(port: larder.port, target: "/npm/%2e%2e/x")
        await larder.stop()
        await upstream.stop()
        let lines = handler.all.filter { $0.message == "request" }
        #expect(lines.count == 3)
        #expect(lines.map { $0.metadata["cache"] ?? "" } == ["MISS", "HIT", "-"])
        #expect(lines.map(\.level) == [.info, .debug, .info])
        #expect(lines[2].metadata["status"] == "400")
        #expect(lines[0].metadata["path"] == "/npm/plain/-/plain-1.0.0.tgz")
        #expect(lines.allSatisfy { $0.metadata["method"] == "GET" && $0.metadata["ms"] != nil })
    }

    @Test("conditional requests over HTTP: 304 for a known ETag")
    func conditionalOverHTTP() async throws {
        try await Self.withServers { upstream, larder in
            let first = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/demo-pkg/")
            let etag = try #require(first.headers["etag"])
            let again = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/demo-pkg/", headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
        }
    }
}

/// An adapter with its own error format, as OCI's `{"errors": [{"code", "message"}]}`.
struct ProbeAdapter: EcosystemAdapter {
    let ecosystem = "probe"
    let mount = "probe"
    let upstream: String

    func resolve(_ request: ClientRequest, engine: Engine) async throws -> Resolution {
        switch request.path.segments.first {
        case "denied":
            throw LarderError(.unauthorized, "sign in first", headers: [("WWW-Authenticate", "Bearer realm=\"https://auth.example/token\"")], code: "DENIED")
        default:
            let source = try Upstream(url: upstream, setting: "probe").source(path: "/" + request.path.segments.joined(separator: "/"))
            return .route(Route(ecosystem: ecosystem, key: "probe/\(request.path.segments.joined(separator: "/"))", kind: .artifact) { [source] })
        }
    }

    func errorResponse(_ error: LarderError) -> EngineResponse {
        let body = "{\"errors\":[{\"code\":\(jsonString(error.code ?? "UNKNOWN")),\"message\":\(jsonString(error.message))}]}"
        return EngineResponse(status: error.status, headers: [("Content-Type", "application/json")] + error.headers, body: .buffer(ByteBuffer(string: body)))
    }
}

@Suite("Adapters' own error formats")
struct AdapterErrorTests {
    @Test("errors under an adapter's mount, its own or the engine's, are rendered in its format with their headers")
    func errorFormat() async throws {
        let upstream = try await FixtureRegistry()
        let larder = try await TestLarder(extraAdapters: [ProbeAdapter(upstream: upstream.url)])
        try await larder.stopping(upstream) {
            let denied = try await RawHTTP.send(port: larder.port, target: "/probe/denied")
            #expect(denied.status == 401)
            #expect(denied.headers["www-authenticate"] == "Bearer realm=\"https://auth.example/token\"")
            #expect(denied.text == "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"sign in first\"}]}")
            let missing = try await RawHTTP.send(port: larder.port, target: "/probe/nothing/here")
            #expect(missing.status == 404)
            #expect(missing.text.hasPrefix("{\"errors\":[{\"code\":\"UNKNOWN\""))
            #expect(missing.text.contains("answered 404"))
        }
    }
}

@Suite("Request bodies")
struct RequestBodyTests {
    @Test("a write a route refuses is answered without reading its body: 405, not 413")
    func refusedUnread() async throws {
        let larder = try await TestLarder { try $0.setUpstream("maven", "http://127.0.0.1:9") }
        try await larder.stopping {
            let put = try await RawHTTP.send(port: larder.port, method: "PUT", target: "/maven/org/x/1.0/x-1.0.jar",
                headers: [("Content-Length", "\(64 << 20)")], body: Data("only the start of it".utf8))
            #expect(put.status == 405)
        }
    }

    @Test("a malformed chunked body is a 400 that says so, not a 413")
    func malformedChunks() async throws {
        let upstream = try await FixtureRegistry()
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        try await larder.stopping(upstream) {
            let answer = try await RawHTTP.send(port: larder.port, method: "POST", target: "/npm/-/npm/v1/security/audits",
                headers: [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")], body: Data("zz\r\n{}\r\n0\r\n\r\n".utf8), contentLength: false)
            #expect(answer.status == 400)
            #expect(upstream.requestCounts.isEmpty)
        }
    }
}
