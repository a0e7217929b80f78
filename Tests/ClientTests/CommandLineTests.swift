import Foundation
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
}
