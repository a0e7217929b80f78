import Foundation
import LarderCore
import LarderTesting
import NIOCore
import Testing

/// `/v2/` over HTTP: the distribution API's errors, named upstreams, digests that lie.
@Suite("OCI registry API")
struct OCIServerTests {
    static func errorCode(_ answer: RawHTTP.Answer) -> String? {
        let json = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        return ((json?["errors"] as? [[String: Any]])?.first)?["code"] as? String
    }

    @Test("bad names, digests and methods get the specification's JSON errors; unknown manifests and blobs are 404 with their codes")
    func errors() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishOCIImage("team/app", layers: [(Data("layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0"])
        let larder = try await TestLarder { try $0.setUpstream("oci", upstream.url) }
        try await larder.stopping(upstream) {
            let base = try await RawHTTP.send(port: larder.port, target: "/v2/")
            #expect(base.status == 200)
            #expect(base.headers["docker-distribution-api-version"] == "registry/2.0")
            for (target, method, status, code) in [
                ("/v2/Team/App/manifests/1.0", "GET", 400, "NAME_INVALID"),
                ("/v2/team/app/blobs/sha256:xyz", "GET", 400, "DIGEST_INVALID"),
                ("/v2/team/app/blobs/sha512:\(String(repeating: "a", count: 128))", "GET", 400, "DIGEST_INVALID"),
                ("/v2/team/app/blobs/latest", "GET", 400, "DIGEST_INVALID"),
                ("/v2/team/app/manifests/-bad", "GET", 400, "MANIFEST_INVALID"),
                ("/v2/team/app/manifests/9.9", "GET", 404, "MANIFEST_UNKNOWN"),
                ("/v2/team/app/blobs/sha256:\(String(repeating: "0", count: 64))", "GET", 404, "BLOB_UNKNOWN"),
                ("/v2/team/app/manifests/1.0", "PUT", 405, "UNSUPPORTED"),
                ("/v2/team/app/other/x", "GET", 404, "NAME_UNKNOWN"),
                ("/v2/team/app/tags/list?cachebust=1", "GET", 400, "UNSUPPORTED"),
                ("/v2/team/app/tags/list?n=many", "GET", 400, "UNSUPPORTED"),
            ] {
                let answer = try await RawHTTP.send(port: larder.port, method: method, target: target)
                #expect(answer.status == status, "\(method) \(target)")
                #expect(Self.errorCode(answer) == code, "\(method) \(target): \(answer.text)")
            }
            let tags = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/tags/list")
            #expect(tags.text.contains("1.0"))
            let paged = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/tags/list?n=10&last=0.9")
            #expect(paged.status == 200)
        }
    }

    @Test("a blob whose bytes do not match its digest is never stored; a tag answered with a login page keeps the stored manifest")
    func lyingUpstream() async throws {
        let upstream = try await FixtureRegistry()
        let image = upstream.publishOCIImage("team/app", layers: [(Data("layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0"])
        let liar = "sha256:" + String(repeating: "ab", count: 32)
        upstream.set("/v2/team/app/blobs/\(liar)", body: ByteBuffer(string: "not those bytes"))
        let larder = try await TestLarder {
            try $0.setUpstream("oci", upstream.url)
            $0.engine.metadataTTL = .seconds(0)
        }
        try await larder.stopping(upstream) {
            let lied = try? await RawHTTP.send(port: larder.port, target: "/v2/team/app/blobs/\(liar)")
            #expect(lied?.body != Data("not those bytes".utf8))
            #expect(try await larder.engine.lookup("oci/default/team/app/blobs/\(liar)") == nil)

            let manifest = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0")
            #expect(manifest.status == 200)
            #expect(manifest.headers["docker-content-digest"] == image.digest)
            #expect(manifest.headers["content-type"] == FixtureRegistry.ociManifestType)
            upstream.set("/v2/team/app/manifests/1.0", body: ByteBuffer(string: "<html>sign in</html>"), contentType: "text/html")
            let kept = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0")
            #expect(kept.status == 200)
            #expect(kept.body == manifest.body)
            #expect(kept.headers["x-larder-cache"] == "STALE")
        }
    }

    @Test("/v2/<name>/<repository>/… reaches the registry configured as upstreams.oci.<name>")
    func namedRegistry() async throws {
        let main = try await FixtureRegistry()
        let other = try await FixtureRegistry()
        main.publishOCIImage("team/app", layers: [(Data("main".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0"])
        let otherImage = other.publishOCIImage("team/app", layers: [(Data("other".utf8), "sha256:" + String(repeating: "2", count: 64))], tags: ["1.0"])
        let larder = try await TestLarder {
            $0.upstreams["oci"] = [
                try Upstream(url: main.url, setting: "upstreams.oci.default", name: "default"),
                try Upstream(url: other.url, setting: "upstreams.oci.ghcr.io", name: "ghcr.io"),
            ]
        }
        try await larder.stopping(main, other) {
            let fromOther = try await RawHTTP.send(port: larder.port, target: "/v2/ghcr.io/team/app/manifests/1.0")
            #expect(fromOther.headers["docker-content-digest"] == otherImage.digest)
            let fromMain = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0")
            #expect(fromMain.headers["docker-content-digest"] != otherImage.digest)
            #expect(main.requests(to: "/v2/team/app/manifests/1.0") == 1)
            #expect(other.requests(to: "/v2/team/app/manifests/1.0") == 1)
        }
    }

    @Test("a registry that asks for a bearer token gets the handshake: one token per repository, reused while it lasts; a bad realm is an error that says so")
    func tokenHandshake() async throws {
        let upstream = try await FixtureRegistry()
        let image = upstream.publishOCIImage("team/app", layers: [(Data("layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0", "1.1"])
        let scopes = Locked<[String]>([])
        upstream.handle("/token") { received in
            scopes.withLock { $0.append(received.query ?? "") }
            return .init(body: ByteBuffer(string: #"{"token": "fixture-token", "expires_in": 300}"#), contentType: "application/json")
        }
        upstream.protect(.custom("/v2/team/", challenge: "Bearer realm=\"\(upstream.url)/token\",service=\"fixture\",scope=\"repository:team/app:pull\"") {
            $0.headers["authorization"] == "Bearer fixture-token"
        })
        upstream.protect(.custom("/v2/bad/", challenge: "Bearer realm=\"ftp://127.0.0.1/token\"") { _ in false })
        let larder = try await TestLarder { try $0.setUpstream("oci", upstream.url) }
        try await larder.stopping(upstream) {
            for tag in ["1.0", "1.1"] {
                let manifest = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/\(tag)")
                #expect(manifest.status == 200, "\(manifest.text)")
                #expect(manifest.headers["docker-content-digest"] == image.digest)
            }
            #expect(scopes.withLock { $0 }.count == 1)
            #expect(scopes.withLock { $0 }.first?.contains("scope=repository:team/app:pull") == true)
            #expect(scopes.withLock { $0 }.first?.contains("service=fixture") == true)
            let bad = try await RawHTTP.send(port: larder.port, target: "/v2/bad/app/manifests/1.0")
            #expect(bad.status == 502)
            #expect(bad.text.contains("token realm"))
        }
    }

    @Test("configured credentials go to a token service at the registry's origin or on its artifact_hosts, never elsewhere")
    func credentialedTokens() async throws {
        let registry = try await FixtureRegistry()
        let tokens = try await FixtureRegistry()
        registry.publishOCIImage("team/app", layers: [(Data("layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0"])
        let basic = "Basic " + Data("ci:s3cret".utf8).base64EncodedString()
        let seen = Locked<[String]>([])
        for service in [registry, tokens] {
            service.handle("/token") { received in
                seen.withLock { $0.append(received.headers["authorization"] ?? "none") }
                let token = received.headers["authorization"] == basic ? "private-token" : "anonymous-token"
                return .init(body: ByteBuffer(string: #"{"token": "\#(token)"}"#), contentType: "application/json")
            }
        }
        // The registry hands out its tokens itself (same origin), or sends Larder to another host.
        registry.protect(.custom("/v2/team/", challenge: "Bearer realm=\"\(registry.url)/token\",service=\"fixture\"") { $0.headers["authorization"] == "Bearer private-token" })
        let elsewhere = tokens.url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        registry.protect(.custom("/v2/other/", challenge: "Bearer realm=\"\(elsewhere)/token\",service=\"fixture\"") { $0.headers["authorization"] == "Bearer private-token" })
        registry.publishOCIImage("other/app", layers: [(Data("other".utf8), "sha256:" + String(repeating: "2", count: 64))], tags: ["1.0"])
        for trusted in [false, true] {
            seen.withLock { $0 = [] }
            let larder = try await TestLarder {
                $0.upstreams["oci"] = [try Upstream(
                    url: registry.url, setting: "upstreams.oci.default", name: "default", credentials: .basic(username: "ci", password: "s3cret"),
                    artifactHosts: trusted ? [HostPattern("localhost")!] : [])]
            }
            #expect(try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0").status == 200)
            let other = try await RawHTTP.send(port: larder.port, target: "/v2/other/app/manifests/1.0")
            #expect(other.status == (trusted ? 200 : 502), "\(other.text)")
            #expect(seen.withLock { $0 } == [basic, trusted ? basic : "none"])
            await larder.stop()
        }
        await registry.stop()
        await tokens.stop()
    }

    @Test("a registry with digest_only serves digests and refuses tags with a message that says how to pull")
    func digestOnly() async throws {
        let upstream = try await FixtureRegistry()
        let image = upstream.publishOCIImage("team/app", layers: [(Data("layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0"])
        let larder = try await TestLarder {
            $0.upstreams["oci"] = [try Upstream(url: upstream.url, setting: "upstreams.oci.default", name: "default", digestOnly: true)]
        }
        try await larder.stopping(upstream) {
            let byTag = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0")
            #expect(byTag.status == 403)
            #expect(Self.errorCode(byTag) == "DENIED")
            #expect(byTag.text.contains("digest_only"))
            #expect(upstream.requests(to: "/v2/team/app/manifests/1.0") == 0)
            let byDigest = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/\(image.digest)")
            #expect(byDigest.status == 200)
        }
    }
}
