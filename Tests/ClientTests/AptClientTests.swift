import Foundation
import LarderCore
import LarderTesting
import NIOCore
import Testing

/// The real `apt-get` through Larder's `/debian/<name>/`, with its own state, cache and source
/// list (nothing of the machine's apt is read or changed), in front of a fixture archive the
/// test builds with `dpkg-deb` and `apt-ftparchive` and signs with a throwaway key.
@Suite("apt-get through Larder", .enabled(if: Shell.has("apt-get") && Shell.has("apt-ftparchive") && Shell.has("dpkg-deb"), "apt-get, apt-ftparchive (apt-utils) and dpkg-deb are needed"))
struct AptClientTests {
    /// Runs `apt-get arguments` against `source` (a `deb` line's URL) in `work`; with `token`,
    /// its own `auth.conf` gives it as the password for `source` (apt sends credentials over
    /// plain HTTP only to a machine written with `http://`).
    static func aptGet(_ arguments: [String], work: String, source: String, token: String? = nil) async throws -> String {
        for directory in ["state/lists/partial", "cache/archives/partial", "empty", "download"] {
            try FileManager.default.createDirectory(atPath: "\(work)/\(directory)", withIntermediateDirectories: true)
        }
        FileManager.default.createFile(atPath: work + "/state/status", contents: nil)
        try "deb [signed-by=\(work)/archive.gpg] \(source) stable main\n".write(toFile: work + "/sources.list", atomically: true, encoding: .utf8)
        try (token.map { "machine \(source) login ci password \($0)\n" } ?? "").write(toFile: work + "/auth.conf", atomically: true, encoding: .utf8)
        let options = [
            "Dir::Etc::SourceList=\(work)/sources.list", "Dir::Etc::SourceParts=\(work)/empty", "Dir::Etc::Parts=\(work)/empty",
            "Dir::Etc::PreferencesParts=\(work)/empty", "Dir::Etc::netrc=\(work)/auth.conf", "Dir::Etc::netrcparts=\(work)/empty", "Dir::Etc::TrustedParts=\(work)/empty", "Dir::State=\(work)/state",
            "Dir::State::status=\(work)/state/status", "Dir::Cache=\(work)/cache", "Debug::NoLocking=1", "APT::Architecture=amd64",
            "APT::Architectures=amd64", "Acquire::Languages=none", "Acquire::Retries=0", "APT::Sandbox::User=root",
        ].flatMap { ["-o", $0] }
        return try await Shell.run(["apt-get", "-q"] + options + arguments, in: work + "/download", clean: true, timeout: 120)
    }

    @Test("apt-get update and apt-get download through Larder, warm, and with the upstream stopped; index files byte for byte, .deb files checked")
    func updateAndDownload() async throws {
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        let hello = FixtureDebianPackage(name: "larder-hello", version: "1.0-1")
        let tool = FixtureDebianPackage(name: "larder-tool", version: "2.3-1", architecture: "amd64")
        let files = try await upstream.publishDebianArchive(packages: [hello, tool], key: key, byHash: true)
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
        }
        var works: [String] = []
        defer { for work in works { try? FileManager.default.removeItem(atPath: work) } }
        func fresh() async throws -> String {
            let work = TestLarder.temporaryDirectory("apt")
            works.append(work)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try await FixtureRegistry.debianKeyring(key, path: work + "/archive.gpg")
            return work
        }
        let source = "\(larder.url)/debian/test"

        let first = try await fresh()
        let update = try await Self.aptGet(["update"], work: first, source: source)
        #expect(!update.contains("Err:"), "\(update)")
        // The Release says Acquire-By-Hash: apt asks for its index by hash.
        #expect(upstream.received.contains { $0.path.contains("/by-hash/SHA512/") }, "\(upstream.requestCounts)")
        _ = try await Self.aptGet(["download", hello.name, tool.name], work: first, source: source)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first + "/download/" + hello.filename.replacingOccurrences(of: ":", with: "%3a"))) == files[hello.poolPath]!.data)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first + "/download/" + tool.filename)) == files[tool.poolPath]!.data)
        // InRelease reaches apt byte for byte (its signature checked out).
        let inRelease = try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease")
        #expect(inRelease.body == Data(upstream.resource("/debian/dists/stable/InRelease")!.body.readableBytesView))

        let second = try await fresh()
        _ = try await Self.aptGet(["update"], work: second, source: source)
        _ = try await Self.aptGet(["download", hello.name], work: second, source: source)
        #expect(upstream.requests(to: "/debian/\(hello.poolPath)", method: "GET") == 1)

        await upstream.stop()
        let third = try await fresh()
        let offline = try await Self.aptGet(["update"], work: third, source: source)
        #expect(!offline.contains("Err:") && !offline.contains("Ign:"), "\(offline)")
        _ = try await Self.aptGet(["download", hello.name, tool.name], work: third, source: source)
        #expect(FileManager.default.fileExists(atPath: third + "/download/" + tool.filename))
        await larder.stop()
        await key.remove()
    }

    @Test("larder mirror fetches pkg:deb package URLs with the suite's indexes; apt-get update and download then work offline")
    func mirrorThenOffline() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        let hello = FixtureDebianPackage(name: "larder-hello", version: "1.0-1")
        let tool = FixtureDebianPackage(name: "larder-tool", version: "2.3-1", architecture: "amd64")
        let files = try await upstream.publishDebianArchive(packages: [hello, tool], key: key, byHash: true)
        let data = TestLarder.temporaryDirectory("mirror-deb")
        defer { try? FileManager.default.removeItem(atPath: data) }
        // A package the suite lacks fails the run (exit 1); the others are mirrored.
        var output = ""
        do {
            output = try await Shell.run([
                CommandLineTests.binary, "mirror", "--data-dir", data, "--upstream", "debian=\(upstream.url)/debian",
                "pkg:deb/debian/larder-hello@1.0-1?arch=amd64&distro=stable", "pkg:deb/debian/larder-tool@2.3-1?arch=amd64&distro=stable",
                "pkg:deb/debian/larder-missing@1.0?arch=amd64&distro=stable",
            ])
            Issue.record("larder mirror succeeded although a package is missing: \(output)")
        } catch let error as ShellError {
            output = error.message
        }
        #expect(output.contains(hello.filename) && output.contains(tool.filename), "\(output)")
        #expect(output.contains("failed 1"), "\(output)")
        #expect(output.contains("larder-missing"), "\(output)")

        await upstream.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            $0.upstreams["debian"] = [try Upstream(url: upstream.url + "/debian", setting: "LARDER_UPSTREAM_DEBIAN")]
            $0.engine.metadataTTL = .zero
        }
        let work = TestLarder.temporaryDirectory("apt")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try await FixtureRegistry.debianKeyring(key, path: work + "/archive.gpg")
        let update = try await Self.aptGet(["update"], work: work, source: "\(larder.url)/debian/default")
        #expect(!update.contains("Err:") && !update.contains("Ign:"), "\(update)")
        _ = try await Self.aptGet(["download", hello.name, tool.name], work: work, source: "\(larder.url)/debian/default")
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/download/" + tool.filename)) == files[tool.poolPath]!.data)
        await larder.stop()
        await key.remove()
    }
}
