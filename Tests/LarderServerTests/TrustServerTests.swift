import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// What upstream metadata may make Larder fetch, and where credentials go.
@Suite("Upstream trust over HTTP")
struct TrustServerTests {
    @Test("a PyPI page linking files on another host is refused, naming the host and the setting; allowed once configured")
    func pypiArtifactHosts() async throws {
        let index = try await FixtureRegistry()
        let files = try await FixtureRegistry()
        try await stopping(index, files) {
            let wheel = PackageBuilder.wheel(name: "far-away", version: "1.0")
            files.set("/f/\(wheel.filename)", body: ByteBuffer(bytes: wheel.data))
            let page = "<html><body><a href=\"\(files.url)/f/\(wheel.filename)#sha256=\(wheel.sha256)\">\(wheel.filename)</a></body></html>"
            index.set("/simple/far-away/", body: ByteBuffer(string: page), contentType: "text/html")
            index.set("/simple/evil/", body: ByteBuffer(string: "<a href=\"file:///etc/passwd#sha256=\(wheel.sha256)\">evil-1.0.tar.gz</a>"), contentType: "text/html")

            let strict = try await TestLarder { try $0.setUpstream("pypi", index.pypiIndexURL) }
            let refused = try await RawHTTP.send(port: strict.port, target: "/pypi/files/far-away/\(wheel.filename)")
            #expect(refused.status == 502)
            #expect(refused.text.contains("127.0.0.1:\(files.port)") && refused.text.contains("upstreams.pypi.artifact_hosts"))
            #expect(files.received.isEmpty)
            let scheme = try await RawHTTP.send(port: strict.port, target: "/pypi/files/evil/evil-1.0.tar.gz")
            #expect(scheme.status == 502)
            #expect(scheme.text.contains("http://"))
            await strict.stop()

            let allowing = try await TestLarder { try $0.setUpstream("pypi", index.pypiIndexURL, artifactHosts: ["127.0.0.1:\(files.port)"]) }
            let fetched = try await RawHTTP.send(port: allowing.port, target: "/pypi/files/far-away/\(wheel.filename)")
            #expect(fetched.status == 200)
            #expect(fetched.body == wheel.data)
            await allowing.stop()
        }
    }

    @Test("npm: package documents and tarballs carry the upstream's credentials; pass-through endpoints never do")
    func npmPassThroughAnonymous() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            registry.publishNpm(name: "private-pkg", versions: [("1.0.0", PackageFile(filename: "private-pkg-1.0.0.tgz", data: Data("tgz".utf8)), [:])])
            registry.set("/-/v1/search", body: ByteBuffer(string: "{\"objects\":[]}"), contentType: "application/json")
            let larder = try await TestLarder {
                $0.upstreams["npm"] = [try Upstream(url: registry.url, setting: "upstreams.npm[0]", credentials: .bearer(token: "npm_s3cret"))]
            }
            let document = try await RawHTTP.send(port: larder.port, target: "/npm/private-pkg")
            #expect(document.status == 200)
            #expect(!document.text.contains("npm_s3cret"))
            let tarball = try await RawHTTP.send(port: larder.port, target: "/npm/private-pkg/-/private-pkg-1.0.0.tgz")
            #expect(tarball.body == Data("tgz".utf8))
            let search = try await RawHTTP.send(port: larder.port, target: "/npm/-/v1/search?text=x")
            #expect(search.status == 200)
            #expect(search.headers["x-larder-cache"] == "PASS")
            let byPath = Dictionary(grouping: registry.received, by: \.path)
            #expect(byPath["/private-pkg"]?.allSatisfy { $0.headers["authorization"] == "Bearer npm_s3cret" } == true)
            #expect(byPath["/private-pkg/-/private-pkg-1.0.0.tgz"]?.allSatisfy { $0.headers["authorization"] == "Bearer npm_s3cret" } == true)
            #expect(byPath["/-/v1/search"]?.allSatisfy { $0.headers["authorization"] == nil } == true)
            await larder.stop()
        }
    }
}
