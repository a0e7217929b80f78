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

    @Test("larder tls init makes an authority and a server certificate in the data directory, and says how to trust and use them")
    func tlsInit() async throws {
        let data = TestLarder.temporaryDirectory("larder-tls")
        let first = try await Shell.run([Self.binary, "tls", "init", "--data-dir", data, "--host", "mirror.example"])
        #expect(first.contains("made a certificate authority"))
        #expect(first.contains("mirror.example"))
        #expect(first.contains("--tls-cert \(data)/tls/server.pem --tls-key \(data)/tls/server.key"))
        for file in ["ca.pem", "ca.key", "server.pem", "server.key"] {
            #expect(FileManager.default.fileExists(atPath: "\(data)/tls/\(file)"), "\(file)")
        }
        let text = try await Shell.run(["openssl", "x509", "-in", "\(data)/tls/server.pem", "-noout", "-text"])
        #expect(text.contains("DNS:mirror.example"))
        #expect(text.contains("IP Address:127.0.0.1"))
        let second = try await Shell.run([Self.binary, "tls", "init", "--data-dir", data])
        #expect(second.contains("kept the certificate authority"))
    }

    @Test("larder token create prints a secret once that a server with anonymous none accepts; list shows it; revoke refuses it; bad names, roles and duplicates are errors")
    func tokens() async throws {
        let data = TestLarder.temporaryDirectory("larder-tokens")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let secret = try await Shell.run([Self.binary, "token", "create", "--data-dir", data, "--name", "ci", "--role", "read"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("larder_") && secret.count == 47)
        // Only the hash is stored.
        let database = try Data(contentsOf: URL(fileURLWithPath: data + "/index.sqlite")) + ((try? Data(contentsOf: URL(fileURLWithPath: data + "/index.sqlite-wal"))) ?? Data())
        #expect(database.range(of: Data(secret.utf8)) == nil)
        #expect(try await Shell.run([Self.binary, "token", "list", "--data-dir", data]).contains("ci\tread\t"))
        for bad in [["--name", "ci", "--role", "read"], ["--name", "bad name", "--role", "read"], ["--name", "x", "--role", "root"]] {
            await #expect(throws: ShellError.self) { try await Shell.run([Self.binary, "token", "create", "--data-dir", data] + bad) }
        }

        let larder = try await TestLarder(dataDirectory: data) { $0.anonymous = .some(nil) }
        #expect(try await RawHTTP.send(port: larder.port, target: "/stats", headers: [("Authorization", "Bearer \(secret)")]).status == 200)
        #expect(try await RawHTTP.send(port: larder.port, target: "/stats").status == 401)
        await larder.stop()
        #expect(try await Shell.run([Self.binary, "token", "revoke", "--data-dir", data, "ci"]).contains("revoked"))
        #expect(try await Shell.run([Self.binary, "token", "list", "--data-dir", data]).contains("revoked"))
        await #expect(throws: ShellError.self) { try await Shell.run([Self.binary, "token", "revoke", "--data-dir", data, "ci"]) }
        let restarted = try await TestLarder(dataDirectory: data) { $0.anonymous = .some(nil) }
        #expect(try await RawHTTP.send(port: restarted.port, target: "/stats", headers: [("Authorization", "Bearer \(secret)")]).status == 401)
        await restarted.stop()
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

extension CommandLineTests {
    @Test("at start the soft descriptor limit is raised to the hard limit")
    func raisesDescriptorLimit() async throws {
        let server = try await ServerProcess(["--data-dir", TestLarder.temporaryDirectory("larder-fd")], softLimit: 200)
        let limits = try String(contentsOfFile: "/proc/\(server.process.processIdentifier)/limits", encoding: .utf8)
        let line = try #require(limits.components(separatedBy: "\n").first { $0.hasPrefix("Max open files") })
        let fields = line.split(separator: " ").filter { !$0.isEmpty }
        #expect(fields.count >= 5 && fields[3] == fields[4], "\(line)")
        #expect(fields[3] != "200", "\(line)")
        #expect(server.stop() == 0)
    }

    /// A fixture registry with twenty npm packages, `fd-0` to `fd-19`, and their tarballs.
    static func descriptorUpstream() async throws -> (FixtureRegistry, [PackageFile]) {
        let upstream = try await FixtureRegistry()
        let tarballs = (0..<20).map { PackageFile(filename: "fd-\($0)-1.0.0.tgz", data: Data("tarball \($0)".utf8)) }
        for (index, tarball) in tarballs.enumerated() { upstream.publishNpm(name: "fd-\(index)", versions: [("1.0.0", tarball, [:])]) }
        return (upstream, tarballs)
    }

    /// The answers to cache misses of `packages`, sent at once (nil: no answer within `timeout`).
    static func misses(_ port: Int, _ packages: Range<Int>, timeout: Int) async -> [Int: RawHTTP.Answer?] {
        await withTaskGroup(of: (Int, RawHTTP.Answer?).self) { group in
            for index in packages {
                group.addTask { (index, try? await RawHTTP.send(port: port, target: "/npm/fd-\(index)/-/fd-\(index)-1.0.0.tgz", timeout: timeout)) }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    @Test("idle connections cannot take every descriptor: beyond max_connections clients wait, and are served once others close")
    func descriptorShare() async throws {
        let (upstream, tarballs) = try await Self.descriptorUpstream()
        let server = try await ServerProcess(["--data-dir", TestLarder.temporaryDirectory("larder-fd"), "--upstream", "npm=" + upstream.url, "--log-level", "warning"], limit: 128)
        // 200 idle connections: a quarter of 128 descriptors are accepted, the rest wait.
        var idle = try (0..<200).map { _ in try RawConnection(port: server.port) }
        let port = server.port
        let misses = Task { await Self.misses(port, 0..<10, timeout: 60) }
        try await Task.sleep(for: .milliseconds(500))
        idle.removeAll()
        let answers = await misses.value
        for index in 0..<10 {
            #expect(answers[index]??.status == 200, "fd-\(index): \(answers[index]??.text ?? "no answer")")
            #expect(answers[index]??.body == tarballs[index].data)
        }
        #expect(server.stop() == 0, "\(server.logText.suffix(2000))")
        await upstream.stop()
    }

    @Test("when descriptors run out anyway, larder keeps running and says so (503), then serves again")
    func descriptorExhaustion() async throws {
        let (upstream, tarballs) = try await Self.descriptorUpstream()
        let server = try await ServerProcess(
            ["--data-dir", TestLarder.temporaryDirectory("larder-fd"), "--upstream", "npm=" + upstream.url, "--log-level", "warning", "--max-connections", "1000"], limit: 128)
        var idle = try (0..<100).map { _ in try RawConnection(port: server.port) }
        // Cache misses need descriptors for the upstream, the staging file and the index.
        let answers = await Self.misses(server.port, 0..<10, timeout: 10)
        for (index, answer) in answers {
            guard let answer else { continue }
            #expect(answer.status == 200 || (answer.status == 503 && answer.text.contains("out of file descriptors")), "fd-\(index): \(answer.status) \(answer.text)")
        }
        #expect(server.process.isRunning, "larder stopped: \(server.logText.suffix(4000))")
        idle.removeAll()
        // The server frees the idle connections' descriptors as it notices them closed, which on
        // a loaded machine may take a moment: a request still refused for want of descriptors is
        // asked again, for up to ten seconds.
        var again = await Self.misses(server.port, 10..<20, timeout: 10)
        for _ in 0..<50 {
            let refused = again.filter { entry in entry.value?.status == 503 }.map { entry in entry.key }
            guard !refused.isEmpty else { break }
            try await Task.sleep(for: .milliseconds(200))
            for index in refused { again[index] = await Self.misses(server.port, index..<(index + 1), timeout: 10)[index] ?? nil }
        }
        for (index, answer) in again {
            #expect(answer?.status == 200, "fd-\(index): \(answer?.text ?? "no answer")")
            #expect(answer?.body == tarballs[index].data)
        }
        #expect(server.stop() == 0, "\(server.logText.suffix(2000))")
        await upstream.stop()
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
