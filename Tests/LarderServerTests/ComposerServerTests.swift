import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/composer/` over HTTP, in front of a fixture Composer repository.
@Suite("Composer repository")
struct ComposerServerTests {
    static let archive = PackageFile(filename: "lib.zip", data: Data("PK a package archive".utf8))
    static let newer = PackageFile(filename: "lib2.zip", data: Data("PK a newer package archive".utf8))

    static func larder(_ upstream: FixtureRegistry, ttl: Duration = .seconds(300)) async throws -> TestLarder {
        try await TestLarder {
            try $0.setUpstream("composer", upstream.url)
            $0.engine.metadataTTL = ttl
        }
    }

    @Test("packages.json points metadata-url at Larder and drops what points elsewhere; p2 documents come unminified with dist URLs through Larder")
    func documents() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishComposerRoot()
        upstream.publishComposerPackage("acme/lib", versions: [.init(version: "1.0.0", archive: Self.archive), .init(version: "1.1.0", archive: Self.newer)])
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let root = try await RawHTTP.send(port: larder.port, target: "/composer/packages.json")
            let object = try #require(try JSONSerialization.jsonObject(with: root.body) as? [String: Any])
            #expect(object["metadata-url"] as? String == "\(larder.url)/composer/p2/%package%.json")
            for key in ["notify-batch", "search", "providers-url"] { #expect(object[key] == nil, "\(key)") }

            let p2 = try await RawHTTP.send(port: larder.port, target: "/composer/p2/acme/lib.json")
            #expect(p2.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: p2.body) as? [String: Any])
            #expect(document["minified"] == nil)
            let versions = try #require((document["packages"] as? [String: Any])?["acme/lib"] as? [[String: Any]])
            #expect(versions.count == 2)
            for (version, file) in zip(versions, [Self.archive, Self.newer]) {
                // The second entry inherited its name, type and autoload from the first.
                #expect(version["name"] as? String == "acme/lib" && version["autoload"] != nil)
                let dist = try #require(version["dist"] as? [String: Any])
                let url = try #require(dist["url"] as? String)
                #expect(url == "\(larder.url)/composer/dists/acme/lib/\(version["version"] as! String)/\(file.sha1).zip")
                let fetched = try await RawHTTP.send(port: larder.port, target: String(url.dropFirst(larder.url.count)))
                #expect(fetched.status == 200 && fetched.body == file.data)
            }
        }
    }

    @Test("an archive whose SHA-1 is not the shasum is cut and not stored; a dist URL on a host the repository may not name is refused unfetched")
    func refusals() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishComposerRoot()
        upstream.publishComposerPackage("acme/lib", versions: [.init(version: "1.0.0", archive: Self.archive)])
        upstream.set("/dist/acme/lib/1.0.0.zip", body: ByteBuffer(string: "PK another archive"))
        let evil = #"{"packages":{"acme/evil":[{"name":"acme/evil","version":"1.0.0","dist":{"type":"zip","url":"http://127.0.0.2:1/x.zip","reference":"abc","shasum":""}}]}}"#
        upstream.set("/p2/acme/evil.json", body: ByteBuffer(string: evil), contentType: "application/json")
        let larder = try await Self.larder(upstream, ttl: .zero)
        try await larder.stopping(upstream) {
            let tampered = try? await RawHTTP.send(port: larder.port, target: "/composer/dists/acme/lib/1.0.0/\(Self.archive.sha1).zip")
            #expect(tampered == nil || tampered?.status == 502 || tampered?.text != "PK another archive")
            #expect(try await larder.engine.lookup("composer/dists/acme/lib/1.0.0/\(Self.archive.sha1).zip") == nil)
            let refused = try await RawHTTP.send(port: larder.port, target: "/composer/dists/acme/evil/1.0.0/abc.zip")
            #expect(refused.status == 502 && refused.text.contains("artifact_hosts"), "\(refused.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/composer/dists/acme/lib/9.0.0/x.zip").status == 404)

            let good = try await RawHTTP.send(port: larder.port, target: "/composer/p2/acme/lib.json")
            upstream.set("/p2/acme/lib.json", body: ByteBuffer(string: "<html>maintenance</html>"), contentType: "text/html")
            #expect(try await RawHTTP.send(port: larder.port, target: "/composer/p2/acme/lib.json").body == good.body)
            for bad in ["/composer/p2/Acme/lib.json", "/composer/p2/acme/.lib.json", "/composer/dists/acme/lib/..%2f/x.zip", "/composer/p2/acme.json", "/composer/p/acme/lib$abc.json"] {
                let status = try await RawHTTP.send(port: larder.port, target: bad).status
                #expect(status == 400 || status == 404, "\(bad): \(status)")
            }
            #expect(try await RawHTTP.send(port: larder.port, method: "POST", target: "/composer/packages.json", body: Data("{}".utf8)).status == 405)
        }
        let bare = try await TestLarder()
        let answer = try await RawHTTP.send(port: bare.port, target: "/composer/packages.json")
        #expect(answer.status == 503 && answer.text.contains("LARDER_UPSTREAM_COMPOSER"), "\(answer.text)")
        await bare.stop()
    }
}
