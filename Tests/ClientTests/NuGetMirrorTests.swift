import Foundation
import LarderCore
import LarderTesting
import Testing

/// No NuGet V3 client installs here (dotnet is not a Debian package): `larder mirror` of NuGet
/// package URLs, then the documented restore requests with the feed stopped.
@Suite("NuGet mirror")
struct NuGetMirrorTests {
    @Test("larder mirror pkg:nuget/<id>@<version> and a range fetch the packages; the restore requests are then answered offline")
    func mirrorThenOffline() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        let packages = upstream.publishNuGetPackage(id: "Larder.Fixture", versions: ["1.0.0", "1.5.0", "2.0.0"])
        let data = TestLarder.temporaryDirectory("mirror-nuget")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let output = try await Shell.run([
            CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "nuget=\(upstream.url)/v3/index.json",
            "pkg:nuget/Larder.Fixture@1.0.0", "pkg:nuget/Larder.Fixture@%5B1.5.0,2.0.0%29",
        ])
        #expect(output.contains("failed 0"), "\(output)")
        #expect(upstream.requests(to: "/v3-flatcontainer/larder.fixture/2.0.0/larder.fixture.2.0.0.nupkg") == 0)

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("nuget", upstream.url + "/v3/index.json")
            $0.engine.metadataTTL = .zero
        }
        #expect(try await RawHTTP.send(port: larder.port, target: "/nuget/v3/index.json").status == 200)
        #expect(try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.fixture/index.json").status == 200)
        for version in ["1.0.0", "1.5.0"] {
            let package = try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.fixture/\(version)/larder.fixture.\(version).nupkg")
            #expect(package.status == 200 && package.body == packages[version]!.data)
        }
        await larder.stop()
    }
}
