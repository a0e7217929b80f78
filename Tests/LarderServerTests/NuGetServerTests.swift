import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/nuget/` with the request sequences NuGet's V3 client makes (from the NuGet API
/// documentation: service index, then PackageBaseAddress for versions and downloads, and
/// RegistrationsBaseUrl for metadata), in front of a fixture feed laid out like nuget.org.
@Suite("NuGet V3 feed")
struct NuGetServerTests {
    static func larder(_ upstream: FixtureRegistry, ttl: Duration = .seconds(300)) async throws -> TestLarder {
        try await TestLarder {
            try $0.setUpstream("nuget", upstream.url + "/v3/index.json")
            $0.engine.metadataTTL = ttl
        }
    }

    static func json(_ answer: RawHTTP.Answer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
    }

    /// The restore sequence: service index, version list, package; returns the package bytes.
    static func restore(_ larder: TestLarder, id: String, version: String) async throws -> Data {
        let index = try json(try await RawHTTP.send(port: larder.port, target: "/nuget/v3/index.json"))
        let resources = try #require(index["resources"] as? [[String: Any]])
        let flat = try #require(resources.first { $0["@type"] as? String == "PackageBaseAddress/3.0.0" }?["@id"] as? String)
        #expect(flat == "\(larder.url)/nuget/v3-flatcontainer/")
        #expect(!resources.contains { ($0["@id"] as? String)?.hasPrefix(larder.url) == false })
        let base = String(flat.dropFirst(larder.url.count))
        let versions = try json(try await RawHTTP.send(port: larder.port, target: "\(base)\(id)/index.json"))["versions"] as? [String]
        #expect(versions?.contains(version) == true)
        let package = try await RawHTTP.send(port: larder.port, target: "\(base)\(id)/\(version)/\(id).\(version).nupkg")
        #expect(package.status == 200)
        let nuspec = try await RawHTTP.send(port: larder.port, target: "\(base)\(id)/\(version)/\(id).nuspec")
        #expect(nuspec.status == 200 && nuspec.text.contains("<version>\(version)</version>"))
        return package.body
    }

    @Test("restore: service index, version list, .nupkg and .nuspec through Larder; again with the feed stopped")
    func restoreWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        let packages = upstream.publishNuGetPackage(id: "Larder.Fixture", versions: ["1.0.0", "1.1.0-beta.1"])
        let larder = try await Self.larder(upstream, ttl: .zero)
        #expect(try await Self.restore(larder, id: "larder.fixture", version: "1.0.0") == packages["1.0.0"]!.data)
        #expect(try await Self.restore(larder, id: "larder.fixture", version: "1.1.0-beta.1") == packages["1.1.0-beta.1"]!.data)
        #expect(try await Self.restore(larder, id: "larder.fixture", version: "1.0.0") == packages["1.0.0"]!.data)
        #expect(upstream.requests(to: "/v3-flatcontainer/larder.fixture/1.0.0/larder.fixture.1.0.0.nupkg") == 1)
        await upstream.stop()
        #expect(try await Self.restore(larder, id: "larder.fixture", version: "1.0.0") == packages["1.0.0"]!.data)
        await larder.stop()
    }

    @Test("registrations: the gzip-stored index and page are served inflated, their URLs pointing at Larder, and a leaf's packageContent downloads")
    func registrations() async throws {
        let upstream = try await FixtureRegistry()
        let packages = upstream.publishNuGetPackage(id: "Larder.Fixture", versions: ["1.0.0", "2.0.0"])
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let index = try await RawHTTP.send(port: larder.port, target: "/nuget/v3/registration/larder.fixture/index.json")
            #expect(index.status == 200 && index.headers["content-encoding"] == nil, "\(index.text)")
            let pages = try #require(try Self.json(index)["items"] as? [[String: Any]])
            let pageURL = try #require(pages.first?["@id"] as? String)
            #expect(pageURL.hasPrefix("\(larder.url)/nuget/v3/registration/larder.fixture/page/"), "\(pageURL)")
            let page = try await RawHTTP.send(port: larder.port, target: String(pageURL.dropFirst(larder.url.count)))
            let leaves = try #require(try Self.json(page)["items"] as? [[String: Any]])
            let content = try #require(leaves.last?["packageContent"] as? String)
            #expect(content == "\(larder.url)/nuget/v3-flatcontainer/larder.fixture/2.0.0/larder.fixture.2.0.0.nupkg")
            #expect(try await RawHTTP.send(port: larder.port, target: String(content.dropFirst(larder.url.count))).body == packages["2.0.0"]!.data)
            #expect(!page.text.contains(upstream.url))
        }
    }

    @Test("a .nupkg that is not that package and a .nuspec that is not XML are refused; bad ids, writes, and no upstream")
    func refusals() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishNuGetPackage(id: "Larder.Fixture", versions: ["1.0.0"])
        upstream.set("/v3-flatcontainer/larder.fixture/1.0.0/larder.fixture.1.0.0.nupkg", body: ByteBuffer(string: "<html>not found</html>"))
        upstream.set("/v3-flatcontainer/larder.fixture/1.0.0/larder.fixture.nuspec", body: ByteBuffer(string: "{\"error\": true}"))
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let package = try? await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.fixture/1.0.0/larder.fixture.1.0.0.nupkg")
            #expect(package == nil || package?.status == 502 || package?.text != "<html>not found</html>")
            #expect(try await larder.engine.lookup("nuget/flat/larder.fixture/1.0.0/larder.fixture.1.0.0.nupkg") == nil)
            let nuspec = try? await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.fixture/1.0.0/larder.fixture.nuspec")
            #expect(nuspec == nil || nuspec?.status == 502 || nuspec?.text != "{\"error\": true}")
            for bad in ["/nuget/v3-flatcontainer/Larder.Fixture/index.json", "/nuget/v3-flatcontainer/larder.fixture/1.0.0/other.1.0.0.nupkg", "/nuget/v3/registration/larder.fixture/..%2f..%2fx.json", "/nuget/query?q=x", "/nuget/v3-flatcontainer/.x/index.json"] {
                let status = try await RawHTTP.send(port: larder.port, target: bad).status
                #expect(status == 400 || status == 404, "\(bad): \(status)")
            }
            #expect(try await RawHTTP.send(port: larder.port, method: "PUT", target: "/nuget/api/v2/package", body: Data("x".utf8)).status == 405)
        }
        let bare = try await TestLarder()
        let answer = try await RawHTTP.send(port: bare.port, target: "/nuget/v3/index.json")
        #expect(answer.status == 503 && answer.text.contains("LARDER_UPSTREAM_NUGET"), "\(answer.text)")
        await bare.stop()
    }
}
