import Foundation
import LarderServer
import LarderTesting
import Testing

/// The built `larder` executable, as a user runs it.
@Suite("larder command", .serialized)
struct CommandLineTests {
    /// The `larder` binary next to the test bundle (`swift build` builds it; the README's test
    /// command does so before `swift test`).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("larder").path
    }

    @Test("larder serve answers, fills the cache, and larder stats reads the figures offline")
    func serveAndStats() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "cli-demo", versions: [("1.0.0", PackageFile(filename: "cli-demo-1.0.0.tgz", data: Data("tarball".utf8)), [:])])
        let data = TestLarder.temporaryDirectory("larder-cli")
        let port = Int.random(in: 20000..<40000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.binary)
        server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--data-dir", data, "--upstream", "npm=" + upstream.url, "--log-level", "warning"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }

        var health: RawHTTP.Answer?
        for _ in 0..<100 where health == nil {
            health = try? await RawHTTP.send(port: port, target: "/health")
            if health == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(health?.status == 200)
        let tarball = try await RawHTTP.send(port: port, target: "/npm/cli-demo/-/cli-demo-1.0.0.tgz")
        #expect(tarball.text == "tarball")

        // SIGTERM: a graceful shutdown that writes the counters and exits 0.
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: data + "/tmp")) ?? []).isEmpty)

        let json = try await Shell.run([Self.binary, "stats", "--data-dir", data, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let npm = (report?["ecosystems"] as? [String: Any])?["npm"] as? [String: Any]
        #expect(npm?["misses"] as? Int == 1)
        #expect(npm?["objects"] as? Int == 2)
        let table = try await Shell.run([Self.binary, "stats", "--data-dir", data])
        #expect(table.contains("npm"))
        #expect(table.contains("total"))
        await upstream.stop()
    }

    @Test("every setting's flag is offered by the command line")
    func everyFlag() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the larder executable first (swift build)")
        let help = try await Shell.run([Self.binary, "serve", "--help"])
        for key in ConfigurationKey.all {
            #expect(help.contains("--\(key.flag)"), "larder serve has no --\(key.flag)")
        }
        #expect(help.contains("--upstream ") && help.contains("--upstream-artifact-hosts"))
    }

    @Test("a bad setting stops larder with a message naming it")
    func badSetting() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the larder executable first (swift build)")
        do {
            try await Shell.run([Self.binary, "serve", "--metadata-ttl", "later"])
            Issue.record("larder serve accepted --metadata-ttl later")
        } catch {
            #expect("\(error)".contains("metadata_ttl"))
        }
    }

    @Test("larder verify: a damaged blob is named, quarantined and fails the run; the next run is clean")
    func verify() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        let tarballs = (1...3).map { PackageFile(filename: "verify-me-1.0.\($0).tgz", data: Data("tarball \($0)".utf8)) }
        upstream.publishNpm(name: "verify-me", versions: tarballs.enumerated().map { ("1.0.\($0.offset + 1)", $0.element, [:]) })
        let data = TestLarder.temporaryDirectory("larder-verify")
        try await Shell.run([Self.binary, "mirror", "--data-dir", data, "--upstream", "npm=" + upstream.url, "pkg:npm/verify-me"])
        await upstream.stop()
        #expect(try await Shell.run([Self.binary, "verify", "--data-dir", data]).contains("0 damaged"))

        let blob = FileBlobStoreLocation(data).path(of: tarballs[1].data)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: blob))
        bytes[0] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: blob))
        do {
            try await Shell.run([Self.binary, "verify", "--data-dir", data])
            Issue.record("larder verify exited 0 with a damaged blob")
        } catch {
            #expect("\(error)".contains("damaged, quarantined: npm/tarball/verify-me/verify-me-1.0.2.tgz"))
            #expect("\(error)".contains("1 damaged"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/quarantine").count == 1)
        #expect(try await Shell.run([Self.binary, "verify", "--data-dir", data]).contains("0 damaged and quarantined, 0 missing"))
    }
}

/// Where the file blob store of a data directory keeps a blob, by content.
struct FileBlobStoreLocation {
    let dataDirectory: String
    init(_ dataDirectory: String) { self.dataDirectory = dataDirectory }
    func path(of content: Data) -> String {
        let digest = PackageFile(filename: "", data: content).sha256
        return "\(dataDirectory)/blobs/sha256/\(digest.prefix(2))/\(digest)"
    }
}
