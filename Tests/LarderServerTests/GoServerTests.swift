import Foundation
import LarderCore
import LarderEcosystems
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/go/` over HTTP, in front of a fixture module proxy that proxies a fixture checksum database.
@Suite("Go module proxy")
struct GoServerTests {
    static let module = "larder.test/Some/Module"
    static let goMod = "module larder.test/Some/Module\n\ngo 1.19\n"

    /// Publishes the module with a zip whose h1 Larder computes; returns the zip.
    @discardableResult
    static func publish(_ upstream: FixtureRegistry, checksums: Bool = true) async throws -> PackageFile {
        var zip = ZipWriter()
        zip.add("\(module)@v1.0.0-RC1/go.mod", Data(goMod.utf8))
        zip.add("\(module)@v1.0.0-RC1/module.go", Data("package module\n".utf8))
        let file = PackageFile(filename: "v1.0.0-RC1.zip", data: zip.finish())
        upstream.publishGoModule(module, version: "v1.0.0-RC1", goMod: goMod, zip: file)
        if checksums {
            let path = TestLarder.temporaryDirectory("go-zip") + "/m.zip"
            try file.data.write(to: URL(fileURLWithPath: path))
            let h1 = try await GoModuleHash.zip(at: path)
            upstream.publishGoChecksums(module, version: "v1.0.0-RC1", zip: h1, mod: GoModuleHash.goMod(sha256: PackageFile(filename: "", data: Data(goMod.utf8)).sha256))
        }
        return file
    }

    static func larder(_ upstream: FixtureRegistry, ttl: Duration = .seconds(300)) async throws -> TestLarder {
        try await TestLarder {
            try $0.setUpstream("go", upstream.url)
            $0.engine.metadataTTL = ttl
        }
    }

    @Test("case-encoded paths arrive percent-escaped (as go sends them) and reach upstream with '!'; every file of the protocol is served and checked")
    func protocolFiles() async throws {
        let upstream = try await FixtureRegistry()
        let zip = try await Self.publish(upstream)
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let base = "/go/larder.test/%21some/%21module"
            #expect(try await RawHTTP.send(port: larder.port, target: base + "/@v/list").text == "v1.0.0-RC1\n")
            let info = try await RawHTTP.send(port: larder.port, target: base + "/@v/v1.0.0-%21r%21c1.info")
            #expect(info.status == 200 && info.text.contains("\"Version\":\"v1.0.0-RC1\""), "\(info.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: base + "/@latest").status == 200)
            let mod = try await RawHTTP.send(port: larder.port, target: base + "/@v/v1.0.0-%21r%21c1.mod")
            #expect(mod.status == 200 && mod.text == Self.goMod, "\(mod.text)")
            let served = try await RawHTTP.send(port: larder.port, target: base + "/@v/v1.0.0-!r!c1.zip")
            #expect(served.status == 200 && served.body == zip.data, "\(served.text)")
            #expect(upstream.requests(to: "/larder.test/!some/!module/@v/v1.0.0-!r!c1.zip") == 1)
            #expect(upstream.requests(to: "/sumdb/sum.golang.org/lookup/larder.test/!some/!module@v1.0.0-!r!c1") == 1)
            for bad in ["/go/larder.test/Some/Module/@v/list", "/go/larder.test/!!x/@v/list", "/go/larder.test/x!/@v/list", "/go/larder.test/a%2Fb/@v/list",
                        "/go/larder.test/x/@v/V1.0.0.zip", "/go/larder.test/x/@v/v1.0.0.tar", "/go/larder.test/x/@v", "/go/.hidden/@v/list"] {
                let status = try await RawHTTP.send(port: larder.port, target: bad).status
                #expect(status == 400 || status == 404, "\(bad): \(status)")
            }
            let write = try await RawHTTP.send(port: larder.port, method: "PUT", target: base + "/@v/v1.0.0.zip")
            #expect(write.status == 405 && write.headers["content-type"]?.hasPrefix("text/plain") == true)
        }
    }

    @Test("a zip or go.mod whose h1 is not the checksum database's record is refused and not stored; without a record they are stored unverified")
    func checkedAgainstChecksumDatabase() async throws {
        let upstream = try await FixtureRegistry()
        let file = try await Self.publish(upstream)
        upstream.publishGoChecksums(Self.module, version: "v1.0.0-RC1", zip: "h1:" + Data(repeating: 1, count: 32).base64EncodedString(), mod: "h1:" + Data(repeating: 2, count: 32).base64EncodedString())
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let base = "/go/larder.test/!some/!module/@v/v1.0.0-!r!c1"
            let info = try await RawHTTP.send(port: larder.port, target: base + ".info")
            #expect(info.status == 200)
            let zip = try? await RawHTTP.send(port: larder.port, target: base + ".zip")
            // The status went out before the last bytes; those are held back, and the answer cut.
            #expect(zip == nil || zip?.status == 502 || zip?.body != file.data)
            let mod = try? await RawHTTP.send(port: larder.port, target: base + ".mod")
            #expect(mod == nil || mod?.status == 502 || mod?.text != Self.goMod)
            #expect(try await larder.engine.lookup("go/larder.test/!some/!module/@v/v1.0.0-!r!c1.zip") == nil)
            #expect(try await larder.engine.lookup("go/larder.test/!some/!module/@v/v1.0.0-!r!c1.mod") == nil)
        }
        let private_ = try await FixtureRegistry()
        let unchecked = try await Self.publish(private_, checksums: false)
        let other = try await Self.larder(private_)
        try await other.stopping(private_) {
            let zip = try await RawHTTP.send(port: other.port, target: "/go/larder.test/!some/!module/@v/v1.0.0-!r!c1.zip")
            #expect(zip.status == 200 && zip.body == unchecked.data)
        }
    }

    @Test("the checksum database is proxied through the upstream: supported, lookup, latest and tiles, cached and served with the upstream down")
    func checksumDatabase() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream)
        upstream.set("/sumdb/sum.golang.org/latest", body: ByteBuffer(string: "go.sum database tree\n43\nAAAA\n\n— sum.golang.org fixture\n"), contentType: "text/plain")
        upstream.set("/sumdb/sum.golang.org/tile/8/0/x001/234.p/5", body: ByteBuffer(bytes: Array(repeating: 7, count: 160)))
        let larder = try await Self.larder(upstream, ttl: .zero)
        try await larder.stopping(upstream) {
            let paths = ["/go/sumdb/sum.golang.org/supported", "/go/sumdb/sum.golang.org/latest", "/go/sumdb/sum.golang.org/lookup/larder.test/!some/!module@v1.0.0-!r!c1", "/go/sumdb/sum.golang.org/tile/8/0/x001/234.p/5"]
            var first: [Data] = []
            for path in paths {
                let answer = try await RawHTTP.send(port: larder.port, target: path)
                #expect(answer.status == 200, "\(path): \(answer.text)")
                first.append(answer.body)
            }
            #expect(first[3] == Data(repeating: 7, count: 160))
            for bad in ["/go/sumdb/Evil.Example/supported", "/go/sumdb/sum.golang.org/lookup/not-a-module", "/go/sumdb/sum.golang.org/tile/8/0/../../x", "/go/sumdb/sum.golang.org/records/1", "/go/sumdb/a..b/latest", "/go/sumdb/sum.golang.org/supported/extra"] {
                let status = try await RawHTTP.send(port: larder.port, target: bad).status
                #expect(status == 400 || status == 404, "\(bad): \(status)")
            }
            await upstream.stop()
            for (path, body) in zip(paths.dropFirst(), first.dropFirst()) {
                let answer = try await RawHTTP.send(port: larder.port, target: path)
                #expect(answer.status == 200 && answer.body == body, "\(path)")
            }
        }
    }

    @Test("a version list or info that is not one (an HTML page) never replaces the stored one; without an upstream the routes name the setting")
    func badDocuments() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream)
        let larder = try await Self.larder(upstream, ttl: .zero)
        try await larder.stopping(upstream) {
            let base = "/go/larder.test/!some/!module"
            let list = try await RawHTTP.send(port: larder.port, target: base + "/@v/list")
            let latest = try await RawHTTP.send(port: larder.port, target: base + "/@latest")
            upstream.set("/larder.test/!some/!module/@v/list", body: ByteBuffer(string: "<html>sign in</html>"), contentType: "text/html")
            upstream.set("/larder.test/!some/!module/@latest", body: ByteBuffer(string: "{\"error\": \"nope\"}"), contentType: "application/json")
            #expect(try await RawHTTP.send(port: larder.port, target: base + "/@v/list").body == list.body)
            #expect(try await RawHTTP.send(port: larder.port, target: base + "/@latest").body == latest.body)
        }
        let bare = try await TestLarder()
        let answer = try await RawHTTP.send(port: bare.port, target: "/go/larder.test/x/@v/list")
        #expect(answer.status == 503 && answer.text.contains("LARDER_UPSTREAM_GO"), "\(answer.text)")
        await bare.stop()
    }

    @Test("a private proxy first (with credentials) and the public one second: each module comes from the first that has it, credentials go only to the private one, and a private module's name never reaches the public proxy or its checksum database")
    func privateThenPublic() async throws {
        let secret = try await FixtureRegistry()
        secret.protect(.basic("/", user: "ci", password: "s3cret"))
        var zip = ZipWriter()
        zip.add("corp.example/secret@v1.0.0/go.mod", Data("module corp.example/secret\n".utf8))
        let secretZip = PackageFile(filename: "v1.0.0.zip", data: zip.finish())
        secret.publishGoModule("corp.example/secret", version: "v1.0.0", goMod: "module corp.example/secret\n", zip: secretZip)
        let public_ = try await FixtureRegistry()
        let publicZip = try await Self.publish(public_)
        let larder = try await TestLarder {
            $0.upstreams["go"] = [
                try Upstream(url: secret.url, setting: "upstreams.go[0]", credentials: .basic(username: "ci", password: "s3cret")),
                try Upstream(url: public_.url, setting: "upstreams.go[1]"),
            ]
        }
        try await larder.stopping(secret, public_) {
            let mine = try await RawHTTP.send(port: larder.port, target: "/go/corp.example/secret/@v/v1.0.0.zip")
            #expect(mine.status == 200 && mine.body == secretZip.data, "\(mine.text)")
            let theirs = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!some/!module/@v/v1.0.0-!r!c1.zip")
            #expect(theirs.status == 200 && theirs.body == publicZip.data, "\(theirs.text)")
            // Verified against the public checksum database, asked of the public proxy only.
            #expect(public_.requests(to: "/sumdb/sum.golang.org/lookup/larder.test/!some/!module@v1.0.0-!r!c1") == 1)
            #expect(secret.requests(to: "/sumdb/sum.golang.org/lookup/larder.test/!some/!module@v1.0.0-!r!c1") == 0)
            #expect(!public_.received.contains { $0.path.contains("secret") })
            #expect(secret.received.allSatisfy { $0.headers["authorization"] != nil })
            #expect(public_.received.allSatisfy { $0.headers["authorization"] == nil })
        }
    }
}
