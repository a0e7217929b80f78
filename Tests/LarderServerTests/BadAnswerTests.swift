import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// An upstream answer that is not a valid document of its kind never replaces a good stored one.
@Suite("Bad upstream answers")
struct BadAnswerTests {
    static let loginPage = "<!DOCTYPE html><html><body><h1>Sign in</h1><form method=post action=/login><input name=user><input type=\"password\" name=pw></form><a href=\"/help\">Help</a></body></html>"

    /// Larder with TTL 0 over a fixture holding a PyPI project, an npm package and Maven metadata.
    static func withServers(_ body: (FixtureRegistry, TestLarder) async throws -> Void) async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishPyPI(project: "good-pkg", files: [PackageBuilder.wheel(name: "good-pkg", version: "1.0")], format: .html)
        upstream.publishNpm(name: "good-pkg", versions: [("1.0.0", PackageFile(filename: "good-pkg-1.0.0.tgz", data: Data("t".utf8)), [:])])
        upstream.publishMaven(MavenProject(group: "org.good", artifact: "lib", version: "1.0"))
        let larder = try await TestLarder {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            try $0.setUpstream("npm", upstream.url)
            try $0.setUpstream("maven", upstream.mavenURL())
            $0.engine.metadataTTL = .seconds(0)
        }
        try await larder.stopping(upstream) { try await body(upstream, larder) }
    }

    /// Fetches `target` while upstream is good, replaces `path` upstream with `bad`, and checks
    /// the stored copy is served stale, before and after upstream stops.
    static func check(_ target: String, path: String, bad: FixtureRegistry.Resource, upstream: FixtureRegistry, larder: TestLarder) async throws {
        let good = try await RawHTTP.send(port: larder.port, target: target)
        #expect(good.status == 200, "\(target)")
        upstream.set(path, bad)
        let kept = try await RawHTTP.send(port: larder.port, target: target)
        #expect(kept.status == 200, "\(target)")
        #expect(kept.headers["x-larder-cache"] == "STALE", "\(target)")
        #expect(kept.body == good.body, "\(target)")
    }

    @Test("a login page where a PyPI project page was, an npm document of another package or not JSON, HTML where maven-metadata.xml was")
    func keptAndServedStale() async throws {
        try await Self.withServers { upstream, larder in
            let html = FixtureRegistry.Resource(body: ByteBuffer(string: Self.loginPage), contentType: "text/html")
            try await Self.check("/pypi/simple/good-pkg/", path: "/simple/good-pkg/", bad: html, upstream: upstream, larder: larder)
            let other = FixtureRegistry.Resource(body: ByteBuffer(string: #"{"name":"evil-pkg","versions":{}}"#), contentType: "application/json")
            try await Self.check("/npm/good-pkg", path: "/good-pkg", bad: other, upstream: upstream, larder: larder)
            try await Self.check("/maven/org/good/lib/maven-metadata.xml", path: "/maven2/org/good/lib/maven-metadata.xml", bad: html, upstream: upstream, larder: larder)
            upstream.set("/good-pkg", .init(body: ByteBuffer(string: "<html>gateway</html>"), contentType: "text/html"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/good-pkg").headers["x-larder-cache"] == "STALE")

            // Nothing stored: the bad answer is an honest upstream failure that says why.
            upstream.set("/simple/fresh/", .init(body: ByteBuffer(string: Self.loginPage), contentType: "text/html"))
            let fresh = try await RawHTTP.send(port: larder.port, target: "/pypi/simple/fresh/")
            #expect(fresh.status == 502)
            #expect(fresh.text.contains("not a valid document") && fresh.text.contains("form"))

            await upstream.stop()
            for target in ["/pypi/simple/good-pkg/", "/npm/good-pkg", "/maven/org/good/lib/maven-metadata.xml"] {
                let down = try await RawHTTP.send(port: larder.port, target: target)
                #expect(down.status == 200 && down.headers["x-larder-cache"] == "STALE", "\(target)")
            }
        }
    }
}
