@testable import LarderCore
import Testing

@Suite("Upstreams: credentials, hosts, redirects, challenges")
struct UpstreamTests {
    @Test("credentials in a configured URL are split off and never shown")
    func urlCredentials() throws {
        let upstream = try Upstream(url: "https://user:s3cret@registry.example/simple/", setting: "upstreams.pypi")
        #expect(upstream.baseURL == "https://registry.example/simple")
        #expect(upstream.hasCredentials)
        #expect(!upstream.description.contains("s3cret"))
        #expect(!"\(upstream.request(path: "/p/"))".contains("s3cret"))
        #expect(UpstreamRequest.redact("https://u:p@h/x") == "https://***@h/x")
        #expect { try Upstream(url: "ftp://x", setting: "LARDER_UPSTREAM_PYPI") } throws: { ($0 as? LarderError)?.message.contains("LARDER_UPSTREAM_PYPI") == true }
        #expect { try Upstream(url: "https:///nohost", setting: "s") } throws: { _ in true }
    }

    @Test("credentials go to the upstream's own scheme, host and port only")
    func credentialsStayHome() throws {
        let upstream = try Upstream(
            url: "https://repo.example/maven", setting: "upstreams.maven[0]", credentials: .basic(username: "ci", password: "pw"),
            artifactHosts: [HostPattern("files.example")!])
        #expect(upstream.request(path: "/a.jar").carriesCredentials)
        #expect(try upstream.request(url: "https://repo.example:443/other/b.jar").carriesCredentials)
        // Another host the upstream may name: fetched, without credentials.
        #expect(try !upstream.request(url: "https://files.example/b.jar").carriesCredentials)
        // The same host and port over plain http: a different origin, so no credentials.
        #expect(try !upstream.request(url: "http://repo.example:443/b.jar").carriesCredentials)
        // Pass-through requests never carry them.
        #expect(!upstream.anonymousRequest(path: "/-/v1/search").carriesCredentials)
        #expect(UpstreamCredentials.bearer(token: "t0ken").description == "bearer credentials (redacted)")
    }

    @Test("metadata may send Larder only to http(s) URLs on hosts its upstream may name", arguments: [
        ("https://evil.example/x.whl", "evil.example"),
        ("http://repo.example/x.whl", "repo.example"),  // port 80, not the upstream's 443
        ("https://repo.example:8443/x.whl", "repo.example:8443"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://repo.example/x", "scheme"),
        ("http+unix://%2Fvar%2Frun%2Fdocker.sock/x", "scheme"),
        ("unix:///var/run/docker.sock", "scheme"),
        ("https://a.files.example.evil/x", "a.files.example.evil"),
        ("https://[bad/x.whl", "not a valid URL"),
    ])
    func refusedLinks(link: String, named: String) throws {
        let upstream = try Upstream(url: "https://repo.example/simple", setting: "upstreams.pypi[0]", artifactHosts: [HostPattern("*.files.example")!])
        #expect { try upstream.request(url: link) } throws: { error in
            let message = (error as? LarderError)?.message ?? ""
            return message.contains(named) && (named == "scheme" || named == "not a valid URL" || message.contains("upstreams.pypi[0].artifact_hosts"))
        }
    }

    @Test("allowed links: own origin, artifact hosts and their wildcards; user-info in links is dropped")
    func allowedLinks() throws {
        let upstream = try Upstream(url: "https://repo.example/simple", setting: "s", artifactHosts: [HostPattern("*.files.example")!, HostPattern("cdn.example:8443")!])
        #expect(try upstream.request(url: "https://repo.example/f/x.whl").url == "https://repo.example/f/x.whl")
        #expect(try upstream.request(url: "https://a.files.example/x.whl").url == "https://a.files.example/x.whl")
        #expect(try upstream.request(url: "https://cdn.example:8443/x.whl").url == "https://cdn.example:8443/x.whl")
        #expect(throws: LarderError.self) { try upstream.request(url: "https://files.example/x.whl") }
        #expect(throws: LarderError.self) { try upstream.request(url: "https://cdn.example/x.whl") }
        #expect(try upstream.request(url: "https://someone:pw@repo.example/x.whl").url == "https://repo.example/x.whl")
    }

    @Test("host patterns", arguments: [
        ("files.example", true), ("*.example.org", true), ("h:8080", true), ("[::1]:8080", true), ("[::1]", true), ("127.0.0.1", true),
        ("", false), ("bad host", false), ("h:0", false), ("h:99999", false), ("*.", false), ("a/b", false), (".example", false),
    ])
    func hostPatterns(text: String, valid: Bool) {
        #expect((HostPattern(text) != nil) == valid)
    }

    @Test("a redirect keeps credentials-bearing headers on its origin and never goes down to http")
    func redirects() throws {
        var request = UpstreamRequest(url: "https://repo.example/a/b.jar", headers: [("Authorization", "Basic x"), ("Accept", "*/*")])
        request.method = "GET"
        let same = try UpstreamClient.redirect(request, to: "/c/d.jar", status: 302)
        #expect(same.url == "https://repo.example/c/d.jar")
        #expect(same.headers.contains { $0.0 == "Authorization" })
        let elsewhere = try UpstreamClient.redirect(request, to: "https://cdn.example/d.jar", status: 307)
        #expect(!elsewhere.headers.contains { $0.0.lowercased() == "authorization" })
        #expect(elsewhere.headers.contains { $0.0 == "Accept" })
        #expect { try UpstreamClient.redirect(request, to: "http://repo.example/d.jar", status: 301) } throws: {
            ($0 as? LarderError)?.message.contains("https to http") == true
        }
        #expect(throws: LarderError.self) { try UpstreamClient.redirect(request, to: "file:///etc/passwd", status: 302) }
        #expect(throws: LarderError.self) { try UpstreamClient.redirect(request, to: "http+unix://%2Ftmp%2Fs/x", status: 302) }
        var post = UpstreamRequest(url: "https://repo.example/a", method: "POST")
        post.body = .init(string: "x")
        let seeOther = try UpstreamClient.redirect(post, to: "/b", status: 303)
        #expect(seeOther.method == "GET" && seeOther.body == nil)
    }

    @Test("WWW-Authenticate challenges are parsed into schemes and parameters")
    func challenges() {
        let parsed = AuthChallenge.parse(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/alpine:pull""#)
        #expect(parsed == [AuthChallenge(scheme: "Bearer", parameters: ["realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:library/alpine:pull"])])
        let two = AuthChallenge.parse(#"Basic realm="x", Bearer realm="y",error="invalid_token""#)
        #expect(two.map(\.scheme) == ["basic", "bearer"])
        #expect(two.last?.parameters["error"] == "invalid_token")
        #expect(AuthChallenge.parse(#"Bearer realm="a \"quoted\" word""#).first?.parameters["realm"] == #"a "quoted" word"#)
        #expect(AuthChallenge.parse("").isEmpty)
        #expect(AuthChallenge.parse(#"Bearer realm="unterminated"#).first?.scheme == "bearer")
    }

    @Test("byte ranges: single, open, suffix; unsatisfiable; several or malformed serve the whole", arguments: [
        ("bytes=0-9", ByteRange.partial(0...9)), ("bytes=10-", .partial(10...99)), ("bytes=-5", .partial(95...99)),
        ("bytes=90-200", .partial(90...99)), ("bytes=-500", .partial(0...99)), ("bytes=100-", .unsatisfiable), ("bytes=-0", .unsatisfiable),
        ("bytes=0-1,5-6", .whole), ("items=0-5", .whole), ("bytes=5-2", .whole), ("bytes=x-", .whole), ("bytes=", .whole),
    ])
    func ranges(header: String, expected: ByteRange) {
        #expect(ByteRange.evaluate(header, size: 100) == expected)
    }

    @Test("If-Range: a matching strong ETag or exact date allows the range; anything else sends the whole")
    func ifRange() {
        #expect(ByteRange.ifRangeHolds(nil, etag: "\"a\"", lastModified: "d"))
        #expect(ByteRange.ifRangeHolds("\"a\"", etag: "\"a\"", lastModified: "d"))
        #expect(!ByteRange.ifRangeHolds("\"b\"", etag: "\"a\"", lastModified: "d"))
        #expect(!ByteRange.ifRangeHolds("W/\"a\"", etag: "\"a\"", lastModified: "d"))
        #expect(ByteRange.ifRangeHolds("d", etag: "\"a\"", lastModified: "d"))
    }
}
