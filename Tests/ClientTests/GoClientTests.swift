import Foundation
import LarderCore
import LarderEcosystems
import LarderMirror
import LarderTesting
import Testing

/// The real `go` (Debian's golang-go) with `GOPROXY` pointing at Larder, its own `GOPATH`,
/// module and build caches, against Larder in front of a fixture module proxy.
@Suite("go through Larder", .serialized, .enabled(if: Shell.has("go"), "go is not on the PATH (Debian's golang-go)"))
struct GoClientTests {
    struct Published {
        var zips: [String: PackageFile]
        /// The `h1:` hashes Larder's own code computes, which the fixture's checksum database records.
        var hashes: [String: (zip: String, mod: String)]
    }

    static let lib = "larder.test/lib"
    static let app = "larder.test/Mixed/App"

    /// `larder.test/lib` and `larder.test/Mixed/App` (upper-case, so its paths are case-encoded),
    /// which requires the first; their zips are deflated by Python and hashed by Larder's code
    /// for the fixture's checksum database.
    static func publish(_ upstream: FixtureRegistry) async throws -> Published {
        let libMod = "module \(lib)\n\ngo 1.19\n"
        let appMod = "module \(app)\n\ngo 1.19\n\nrequire \(lib) v1.2.0\n"
        let modules: [(String, String, [String: String])] = [
            (lib, libMod, ["go.mod": libMod, "lib.go": "package lib\n\nfunc Name() string { return \"lib 1.2.0\" }\n"]),
            (app, appMod, ["go.mod": appMod, "app.go": "package app\n\nimport \"\(lib)\"\n\nfunc Name() string { return \"app 1.0.0 with \" + lib.Name() }\n"]),
        ]
        var published = Published(zips: [:], hashes: [:])
        for (module, goMod, files) in modules {
            let version = module == lib ? "v1.2.0" : "v1.0.0"
            let zip = try await PackageBuilder.goModuleZip(module: module, version: version, files: files)
            upstream.publishGoModule(module, version: version, goMod: goMod, zip: zip)
            let directory = TestLarder.temporaryDirectory("go-zip")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/module.zip"
            try zip.data.write(to: URL(fileURLWithPath: path))
            let hashes = (zip: try await GoModuleHash.zip(at: path), mod: GoModuleHash.goMod(sha256: PackageFile(filename: "", data: Data(goMod.utf8)).sha256))
            upstream.publishGoChecksums(module, version: version, zip: hashes.zip, mod: hashes.mod)
            published.zips[module] = zip
            published.hashes[module] = hashes
        }
        return published
    }

    /// go's settings for a run through `larder` with its own home, module and build caches
    /// under `caches` (`larder.test` modules are not looked up in the public checksum database).
    static func environment(caches: String, larder: TestLarder) -> [String: String] {
        [
            "HOME": caches + "/home", "GOPATH": caches + "/gopath", "GOMODCACHE": caches + "/modcache", "GOCACHE": caches + "/gocache",
            "GOPROXY": "\(larder.url)/go", "GONOSUMDB": "larder.test", "GOFLAGS": "-mod=mod", "GOENV": "off", "GO111MODULE": "on",
            "GOTOOLCHAIN": "local", "CGO_ENABLED": "0",
        ]
    }

    /// `go mod download` and `go build` of a program using `larder.test/Mixed/App`, with fresh
    /// module and build caches; returns the project directory (with its `go.sum`). With
    /// `token`, go finds it as the password for Larder's host in its own `.netrc` (which go
    /// reads for HTTPS only: `caFile` is then the CA of Larder's certificate).
    @discardableResult
    static func build(through larder: TestLarder, project: String? = nil, token: String? = nil, caFile: String? = nil) async throws -> String {
        let work = project ?? TestLarder.temporaryDirectory("go-project")
        let caches = TestLarder.temporaryDirectory("go-caches")
        defer { try? FileManager.default.removeItem(atPath: caches) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: caches + "/home", withIntermediateDirectories: true)
        if let token { try "machine 127.0.0.1 login ci password \(token)\n".write(toFile: caches + "/home/.netrc", atomically: true, encoding: .utf8) }
        try "module consumer\n\ngo 1.19\n\nrequire \(app) v1.0.0\n\nrequire \(lib) v1.2.0 // indirect\n".write(toFile: work + "/go.mod", atomically: true, encoding: .utf8)
        try "package main\n\nimport (\n\t\"fmt\"\n\n\t\"\(app)\"\n)\n\nfunc main() { fmt.Println(app.Name()) }\n".write(toFile: work + "/main.go", atomically: true, encoding: .utf8)
        let environment = Self.environment(caches: caches, larder: larder).merging(caFile.map { ["SSL_CERT_FILE": $0] } ?? [:]) { a, _ in a }
        try await Shell.run(["go", "mod", "download"], in: work, environment: environment, clean: true, timeout: 180)
        let downloaded = caches + "/modcache/cache/download/larder.test"
        #expect(FileManager.default.fileExists(atPath: downloaded + "/!mixed/!app/@v/v1.0.0.zip"))
        #expect(FileManager.default.fileExists(atPath: downloaded + "/lib/@v/v1.2.0.zip"))
        try await Shell.run(["go", "build", "-o", work + "/consumer", "."], in: work, environment: environment, clean: true, timeout: 180)
        let output = try await Shell.run([work + "/consumer"])
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "app 1.0.0 with lib 1.2.0")
        return work
    }

    @Test("go mod download and go build through Larder: cold, warm (each zip fetched once, checked against the checksum database) and with the upstream stopped; go.sum agrees with Larder's h1 hashes")
    func downloadWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        let published = try await Self.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("go", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        let project = try await Self.build(through: larder)
        defer { try? FileManager.default.removeItem(atPath: project) }
        try await Self.build(through: larder)
        #expect(upstream.requests(to: "/larder.test/!mixed/!app/@v/v1.0.0.zip") == 1)
        #expect(upstream.requests(to: "/larder.test/lib/@v/v1.2.0.zip") == 1)
        // Asked when the .mod and the .zip were first fetched (the metadata TTL is zero here).
        #expect((1...2).contains(upstream.requests(to: "/sumdb/sum.golang.org/lookup/larder.test/!mixed/!app@v1.0.0")))

        // go computed these itself from what Larder served; Larder's hashes must be the same.
        let sums = try String(contentsOfFile: project + "/go.sum", encoding: .utf8)
        for (module, hashes) in published.hashes {
            let version = module == Self.lib ? "v1.2.0" : "v1.0.0"
            #expect(sums.contains("\(module) \(version) \(hashes.zip)\n"), "\(sums)")
            #expect(sums.contains("\(module) \(version)/go.mod \(hashes.mod)\n"), "\(sums)")
        }
        let lock = try Lockfile.read(Data(sums.utf8), filename: "go.sum")
        #expect(Set(lock.packageURLs.map(\.description)) == ["pkg:golang/larder.test/Mixed/App@v1.0.0", "pkg:golang/larder.test/lib@v1.2.0"])

        await upstream.stop()
        try await Self.build(through: larder)
        await larder.stop()
    }

    @Test("go with a 7-day cooldown: go build from go.mod on a cold cache (each version dated by its module's list before it is judged), and @latest resolves to the month-old v1.2.0, not to v1.3.0 published yesterday, which is refused")
    func cooldown() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream)
        let libMod = "module \(Self.lib)\n\ngo 1.19\n"
        let young = try await PackageBuilder.goModuleZip(module: Self.lib, version: "v1.3.0", files: ["go.mod": libMod, "lib.go": "package lib\n\nfunc Name() string { return \"lib 1.3.0\" }\n"])
        upstream.publishGoModule(Self.lib, version: "v1.3.0", goMod: libMod, zip: young, published: Date() - 86_400)
        let larder = try await TestLarder {
            try $0.setUpstream("go", upstream.url)
            $0.cooldown.ecosystems = ["golang": 7 * 86_400]
        }
        try await larder.stopping(upstream) {
            let project = try await Self.build(through: larder)
            defer { try? FileManager.default.removeItem(atPath: project) }
            let caches = TestLarder.temporaryDirectory("go-caches")
            defer { try? FileManager.default.removeItem(atPath: caches) }
            try FileManager.default.createDirectory(atPath: caches + "/home", withIntermediateDirectories: true)
            let environment = Self.environment(caches: caches, larder: larder)
            let latest = try await Shell.run(["go", "mod", "download", "-json", "\(Self.lib)@latest"], in: project, environment: environment, clean: true, timeout: 180)
            #expect(latest.contains("\"Version\": \"v1.2.0\""), "\(latest)")
            await #expect(throws: ShellError.self) { try await Shell.run(["go", "mod", "download", "-json", "\(Self.lib)@v1.3.0"], in: project, environment: environment, clean: true, timeout: 180) }
            #expect(upstream.requests(to: "/\(Self.lib)/@v/v1.3.0.zip") == 0)
        }
    }

    @Test("larder mirror --lockfile go.sum fetches every module; go then builds offline")
    func mirrorFromGoSum() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        _ = try await Self.publish(upstream)
        let direct = TestLarder.temporaryDirectory("go-direct")
        defer { try? FileManager.default.removeItem(atPath: direct) }
        let directLarder = try await TestLarder { try $0.setUpstream("go", upstream.url) }
        try await Self.build(through: directLarder, project: direct)
        await directLarder.stop()

        let data = TestLarder.temporaryDirectory("mirror-go")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let output = try await Shell.run([CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "go=\(upstream.url)", "--lockfile", direct + "/go.sum"])
        #expect(output.contains("failed 0"), "\(output)")

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("go", upstream.url)
            $0.engine.metadataTTL = .zero
        }
        let offline = TestLarder.temporaryDirectory("go-offline")
        defer { try? FileManager.default.removeItem(atPath: offline) }
        try FileManager.default.createDirectory(atPath: offline, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: direct + "/go.sum", toPath: offline + "/go.sum")
        try await Self.build(through: larder, project: offline)
        await larder.stop()
    }
}
