import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/cargo/` over HTTP, in front of a fixture sparse registry.
@Suite("Cargo sparse registry")
struct CargoServerTests {
    static func crate(_ name: String, _ version: String) -> PackageFile {
        PackageFile(filename: "\(name)-\(version).crate", data: Data("a crate called \(name) \(version)".utf8))
    }

    static func larder(_ upstream: FixtureRegistry, ttl: Duration = .seconds(300)) async throws -> TestLarder {
        try await TestLarder {
            try $0.setUpstream("cargo", upstream.url)
            $0.engine.metadataTTL = ttl
        }
    }

    @Test("config.json points dl and api at Larder (dl without markers) and drops auth-required; index files are served byte for byte at every path shape")
    func configAndIndex() async throws {
        let upstream = try await FixtureRegistry()
        upstream.set("/config.json", body: ByteBuffer(string: #"{"dl": "\#(upstream.url)/crates", "api": "\#(upstream.url)", "auth-required": true, "future-key": 7}"#), contentType: "application/json")
        for name in ["a", "ab", "abc", "abcd-long_Name"] { upstream.publishCrate(name: name, version: "1.0.0", file: Self.crate(name, "1.0.0")) }
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let config = try await RawHTTP.send(port: larder.port, target: "/cargo/config.json")
            #expect(config.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: config.body) as? [String: Any])
            #expect(object["dl"] as? String == "\(larder.url)/cargo/api/v1/crates")
            #expect(object["api"] as? String == "\(larder.url)/cargo")
            #expect(object["auth-required"] == nil)
            #expect(object["future-key"] as? Int == 7)

            for path in ["1/a", "2/ab", "3/a/abc", "ab/cd/abcd-long_name"] {
                let index = try await RawHTTP.send(port: larder.port, target: "/cargo/\(path)")
                #expect(index.status == 200, "\(path): \(index.text)")
                #expect(index.body == Data(upstream.resource("/\(path)")!.body.readableBytesView))
            }
            // Paths that are not where Cargo looks for a crate.
            for path in ["1/ab", "3/b/abc", "ab/cd/abce", "AB/CD/ABCD", "3/a/ab%2Fc", "3/a/../abc", "2/a+"] {
                let status = try await RawHTTP.send(port: larder.port, target: "/cargo/\(path)").status
                #expect(status == 404 || status == 400, "\(path): \(status)")
            }
            let crate = try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/abcd-long_Name/1.0.0/download")
            #expect(crate.status == 200, "\(crate.text)")
            #expect(crate.body == Self.crate("abcd-long_Name", "1.0.0").data)
            #expect(try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/abc/9.9.9/download").status == 404)
        }
    }

    @Test("a .crate whose bytes are not the index's cksum is cut and not stored; a yanked version still downloads")
    func verification() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig()
        upstream.publishCrate(name: "serde-ish", version: "1.0.0", file: Self.crate("serde-ish", "1.0.0"))
        upstream.publishCrate(name: "serde-ish", version: "1.0.1", file: Self.crate("serde-ish", "1.0.1"), yanked: true)
        upstream.set("/crates/serde-ish/1.0.0/download", body: ByteBuffer(string: "a crate called serde-ish 6.6.6"))
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let tampered = try? await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/serde-ish/1.0.0/download")
            #expect(tampered == nil || tampered?.status == 502 || tampered?.body != Data("a crate called serde-ish 6.6.6".utf8))
            #expect(try await larder.engine.lookup("cargo/crate/serde-ish/1.0.0") == nil)
            let yanked = try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/serde-ish/1.0.1/download")
            #expect(yanked.status == 200)
        }
    }

    @Test("an index file that is not one (another crate's lines, a login page) never replaces the stored one, which is served stale")
    func badIndexKeepsStored() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig()
        upstream.publishCrate(name: "tokio-ish", version: "1.0.0", file: Self.crate("tokio-ish", "1.0.0"))
        let larder = try await Self.larder(upstream, ttl: .zero)
        try await larder.stopping(upstream) {
            let good = try await RawHTTP.send(port: larder.port, target: "/cargo/to/ki/tokio-ish")
            #expect(good.status == 200)
            for body in [#"{"name":"other","vers":"1.0.0","cksum":"\#(String(repeating: "a", count: 64))"}"#, "<html>log in</html>", #"{"name":"tokio-ish","vers":"1.0.0","cksum":"short"}"#] {
                upstream.set("/to/ki/tokio-ish", body: ByteBuffer(string: body), contentType: "text/plain")
                let answer = try await RawHTTP.send(port: larder.port, target: "/cargo/to/ki/tokio-ish")
                #expect(answer.status == 200)
                #expect(answer.body == good.body, "\(body)")
            }
        }
    }

    @Test("a dl on a host the upstream may not name is refused before anything is fetched; a config.json without dl is not a configuration")
    func downloadHostChecked() async throws {
        let upstream = try await FixtureRegistry()
        upstream.set("/config.json", body: ByteBuffer(string: #"{"dl": "http://127.0.0.2:\#(upstream.port)/crates"}"#), contentType: "application/json")
        upstream.publishCrate(name: "evil", version: "1.0.0", file: Self.crate("evil", "1.0.0"))
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let refused = try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/evil/1.0.0/download")
            #expect(refused.status == 502)
            #expect(refused.text.contains("artifact_hosts"), "\(refused.text)")
            #expect(upstream.requests(to: "/crates/evil/1.0.0/download") == 0)
        }
        let login = try await FixtureRegistry()
        login.set("/config.json", body: ByteBuffer(string: "<html>sign in</html>"), contentType: "text/html")
        let other = try await Self.larder(login)
        try await other.stopping(login) {
            let answer = try await RawHTTP.send(port: other.port, target: "/cargo/config.json")
            #expect(answer.status == 502)
            #expect(answer.text.contains("not a Cargo registry configuration"))
        }
    }

    @Test("publish, yank and search are refused in Cargo's error format; without an upstream the routes name the setting")
    func refusals() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig()
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            for (method, target) in [("PUT", "/cargo/api/v1/crates/new"), ("DELETE", "/cargo/api/v1/crates/x/1.0.0/yank"), ("GET", "/cargo/api/v1/crates?q=serde"), ("PUT", "/cargo/3/a/abc")] {
                let answer = try await RawHTTP.send(port: larder.port, method: method, target: target)
                #expect(answer.status == 405, "\(method) \(target)")
                let errors = try #require((try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["errors"] as? [[String: Any]])
                #expect((errors.first?["detail"] as? String)?.contains("Larder") == true)
            }
            #expect(upstream.received.allSatisfy { $0.method == "GET" })
        }
        let bare = try await TestLarder()
        let answer = try await RawHTTP.send(port: bare.port, target: "/cargo/config.json")
        #expect(answer.status == 503)
        #expect(answer.text.contains("LARDER_UPSTREAM_CARGO"))
        await bare.stop()
    }
}
