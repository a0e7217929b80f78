import Foundation
import LarderCore
import LarderServer
import LarderTesting
import Testing

/// Package rules seen by the real clients: npm and pip resolve to the versions the rules allow,
/// and `larder declare` on the command line reaches a running server.
@Suite("package rules with real clients", .serialized)
struct PolicyClientTests {
    static func post(_ larder: TestLarder, _ path: String, purl: String, note: String, token: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["purl": purl, "note": note])
        let answer = try await RawHTTP.send(port: larder.port, method: "POST", target: path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: body)
        try #require(answer.status == 201, "\(answer.text)")
    }

    /// An empty npm project with its own cache and no user configuration: its directory, the
    /// environment to run npm in, and the `npm install` command pointed at Larder.
    static func npmProject(_ larder: TestLarder, _ prefix: String) throws -> (String, [String: String], [String]) {
        let project = TestLarder.temporaryDirectory(prefix)
        try Data(#"{"name": "consumer", "version": "1.0.0", "private": true}"#.utf8).write(to: URL(fileURLWithPath: project + "/package.json"))
        let env = ["HOME": project, "npm_config_userconfig": project + "/.npmrc-none", "npm_config_globalconfig": project + "/.npmrc-global-none", "npm_config_update_notifier": "false"]
        let npm = ["npm", "install", "--registry", "\(larder.url)/npm/", "--cache", project + "/.npm-cache", "--no-audit", "--no-fund", "--prefer-online"]
        return (project, env, npm)
    }

    @Test("npm in declared-only mode: with larder-app and larder-lib@1.2.0 declared, npm install resolves ^1.0.0 to 1.2.0 although 1.3.0 is latest upstream; the hidden version is not found; an undeclared package fails with Larder's 403")
    func npmDeclaredOnly() async throws {
        let upstream = try await FixtureRegistry()
        let lib12 = try await PackageBuilder.npmTarball(name: "larder-lib", version: "1.2.0")
        let lib13 = try await PackageBuilder.npmTarball(name: "larder-lib", version: "1.3.0")
        let app = try await PackageBuilder.npmTarball(name: "larder-app", version: "1.0.0", dependencies: ["larder-lib": "^1.0.0"])
        upstream.publishNpm(name: "larder-lib", versions: [("1.2.0", lib12, [:]), ("1.3.0", lib13, [:])])
        upstream.publishNpm(name: "larder-app", versions: [("1.0.0", app, ["larder-lib": "^1.0.0"])])
        upstream.publishNpm(name: "larder-other", versions: [("1.0.0", try await PackageBuilder.npmTarball(name: "larder-other", version: "1.0.0"), [:])])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.mode = .declaredOnly
        }
        try await larder.stopping(upstream) {
            let writer = try await larder.makeToken(.write, name: "web-team")
            try await Self.post(larder, "/api/declarations", purl: "pkg:npm/larder-app", note: "the web build", token: writer)
            try await Self.post(larder, "/api/declarations", purl: "pkg:npm/larder-lib@1.2.0", note: "pinned until OPS-7", token: writer)
            let (project, env, npm) = try Self.npmProject(larder, "npm-rules")
            defer { try? FileManager.default.removeItem(atPath: project) }
            try await Shell.run(npm + ["larder-app"], in: project, environment: env, clean: true)
            let versions = try await Shell.run(["node", "-e", "console.log(require('larder-app/package.json').version, require('larder-lib/package.json').version)"], in: project, environment: env, clean: true)
            #expect(versions.trimmingCharacters(in: .whitespacesAndNewlines) == "1.0.0 1.2.0")
            #expect(upstream.requests(to: "/larder-lib/-/\(lib13.filename)") == 0)

            for (package, expected) in [("larder-lib@1.3.0", "No matching version found for larder-lib@1.3.0"), ("larder-other", "403")] {
                do {
                    try await Shell.run(npm + [package], in: project, environment: env, clean: true, timeout: 120)
                    Issue.record("npm installed \(package), which is not declared")
                } catch let error as ShellError {
                    #expect(error.message.contains(expected), "\(error.message)")
                }
            }
            #expect(upstream.requests(to: "/larder-other") == 0)
        }
    }

    @Test("npm with a 7-day cooldown: ^1.0.0 resolves to the month-old 1.2.0, not to 1.3.0 published yesterday, and npm install of 1.3.0 itself finds no such version")
    func npmCooldown() async throws {
        let upstream = try await FixtureRegistry()
        let lib12 = try await PackageBuilder.npmTarball(name: "larder-lib", version: "1.2.0")
        let lib13 = try await PackageBuilder.npmTarball(name: "larder-lib", version: "1.3.0")
        let app = try await PackageBuilder.npmTarball(name: "larder-app", version: "1.0.0", dependencies: ["larder-lib": "^1.0.0"])
        let now = Date()
        upstream.publishNpm(name: "larder-lib", versions: [("1.2.0", lib12, [:]), ("1.3.0", lib13, [:])], published: ["1.2.0": now - 30 * 86_400, "1.3.0": now - 86_400])
        upstream.publishNpm(name: "larder-app", versions: [("1.0.0", app, ["larder-lib": "^1.0.0"])], published: ["1.0.0": now - 30 * 86_400])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.cooldown.ecosystems = ["npm": 7 * 86_400]
        }
        try await larder.stopping(upstream) {
            let (project, env, npm) = try Self.npmProject(larder, "npm-cooldown")
            defer { try? FileManager.default.removeItem(atPath: project) }
            try await Shell.run(npm + ["larder-app"], in: project, environment: env, clean: true)
            let versions = try await Shell.run(["node", "-e", "console.log(require('larder-lib/package.json').version)"], in: project, environment: env, clean: true)
            #expect(versions.trimmingCharacters(in: .whitespacesAndNewlines) == "1.2.0")
            #expect(upstream.requests(to: "/larder-lib/-/\(lib13.filename)") == 0)
            await #expect(throws: ShellError.self) { try await Shell.run(npm + ["larder-lib@1.3.0"], in: project, environment: env, clean: true, timeout: 120) }
        }
    }

    @Test("pip with a 7-day cooldown: pip picks the month-old 1.0.0, not 1.1.0 uploaded an hour ago (PEP 700 upload-time); on a cold Larder a file asked by its URL, as installers working from a lock do, is dated by the project page first")
    func pipCooldown() async throws {
        let upstream = try await FixtureRegistry()
        let old = PackageBuilder.wheel(name: "larder-dep", version: "1.0.0")
        let young = PackageBuilder.wheel(name: "larder-dep", version: "1.1.0")
        upstream.publishPyPI(project: "larder-dep", files: [old, young], format: .json, uploaded: [old.filename: Date() - 30 * 86_400, young.filename: Date() - 3_600])
        let settings: @Sendable (inout LarderConfiguration) throws -> Void = {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            $0.cooldown.ecosystems = ["pypi": 7 * 86_400]
        }
        let work = TestLarder.temporaryDirectory("pip-cooldown")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let env = PipClientTests.pipEnvironment(home: work)
        let larder = try await TestLarder(configure: settings)
        try await larder.stopping {
            try await Shell.run(["python3", "-m", "pip", "download", "--no-cache-dir", "--index-url", "\(larder.url)/pypi/simple/", "-d", work + "/downloads", "larder-dep"], environment: env, clean: true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/downloads") == [old.filename])
            #expect(upstream.requests(to: "/files/\(young.filename)") == 0)
        }
        let cold = try await TestLarder(configure: settings)
        try await cold.stopping(upstream) {
            try FileManager.default.removeItem(atPath: work + "/downloads")
            try await Shell.run(["python3", "-m", "pip", "download", "--no-cache-dir", "--no-deps", "-d", work + "/downloads", "\(cold.url)/pypi/files/larder-dep/\(old.filename)"], environment: env, clean: true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/downloads") == [old.filename])
            await #expect(throws: ShellError.self) {
                try await Shell.run(["python3", "-m", "pip", "download", "--no-cache-dir", "--no-deps", "-d", work + "/young", "\(cold.url)/pypi/files/larder-dep/\(young.filename)"], environment: env, clean: true, timeout: 120)
            }
        }
    }

    @Test("pip with a blocked version and then a revoked one: pip picks the newest version left, and fails once none is")
    func pipBlockAndRevoke() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishPyPI(project: "larder-dep", files: [
            PackageBuilder.wheel(name: "larder-dep", version: "1.0.0"), PackageBuilder.wheel(name: "larder-dep", version: "1.1.0"),
        ], format: .json)
        let larder = try await TestLarder { try $0.setUpstream("pypi", upstream.pypiIndexURL) }
        try await larder.stopping(upstream) {
            let admin = try await larder.makeToken(.admin, name: "security")
            try await Self.post(larder, "/api/blocks", purl: "pkg:pypi/larder_dep@1.1.0", note: "broken release", token: admin)
            let work = TestLarder.temporaryDirectory("pip-rules")
            defer { try? FileManager.default.removeItem(atPath: work) }
            let env = PipClientTests.pipEnvironment(home: work)
            let download = ["python3", "-m", "pip", "download", "--no-cache-dir", "--index-url", "\(larder.url)/pypi/simple/", "-d", work + "/downloads", "larder-dep"]
            try await Shell.run(download, environment: env, clean: true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/downloads") == ["larder_dep-1.0.0-py3-none-any.whl"])
            #expect(upstream.requests(to: "/files/larder_dep-1.1.0-py3-none-any.whl") == 0)

            try FileManager.default.removeItem(atPath: work + "/downloads")
            try await Self.post(larder, "/api/revocations", purl: "pkg:pypi/larder-dep@1.0.0", note: "compromised maintainer account", token: admin)
            await #expect(throws: ShellError.self) { try await Shell.run(download, environment: env, clean: true, timeout: 120) }
        }
    }

    @Test("larder declare, rules list, amend, remove and audit on the command line; a running declared-only server follows within seconds; bad package URLs and missing notes are refused")
    func commandLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "left-pad", versions: [("1.3.0", PackageFile(filename: "left-pad-1.3.0.tgz", data: Data("a tarball".utf8)), [:])])
        let data = TestLarder.temporaryDirectory("rules-cli")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let larder = try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("npm", upstream.url)
            $0.mode = .declaredOnly
        }
        let cli = { (arguments: [String]) in try await Shell.run([CommandLineTests.binary] + arguments + ["--data-dir", data], environment: ["USER": "alice"]) }
        try await larder.stopping(upstream) {
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad").status == 403)
            let declared = try await cli(["declare", "pkg:npm/left-pad@1.3.0", "--note", "used by the web build, ticket OPS-12"])
            #expect(declared.contains("declared pkg:npm/left-pad@1.3.0 (rule 1)"), "\(declared)")
            var status = 0
            for _ in 0..<50 where status != 200 {
                status = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz").status
                if status != 200 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(status == 200, "the server did not pick up the declaration within 10 seconds")

            let listed = try await cli(["rules", "list", "--search", "OPS-12"])
            #expect(listed.hasPrefix("1\tdeclare\tpkg:npm/left-pad@1.3.0\tcli:alice\t") && listed.contains("ticket OPS-12"), "\(listed)")
            #expect(try await cli(["rules", "list", "--action", "block"]).isEmpty)
            _ = try await cli(["rules", "amend", "1", "--note", "OPS-13", "--by", "bob"])
            _ = try await cli(["rules", "remove", "1", "--note", "retired"])
            let audit = try await cli(["rules", "audit"]).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            #expect(audit.map { $0[1] } == ["cli:alice", "bob", "cli:alice"])
            #expect(audit.map { $0[2] } == ["removed", "amended", "added"])
            #expect(audit.map { $0.last } == ["retired", "OPS-13", "used by the web build, ticket OPS-12"])

            for bad in [["declare", "pkg:npm/left-pad@", "--note", "x"], ["declare", "left-pad", "--note", "x"], ["declare", "pkg:npm/left-pad"], ["declare", "pkg:npm/left-pad", "--note", " "],
                        ["revoke", "pkg:npm/left-pad", "--note", "x"], ["rules", "remove", "99", "--note", "x"], ["rules", "list", "--action", "allow"]] {
                await #expect(throws: ShellError.self, "\(bad)") { try await cli(bad) }
            }
            #expect(try await cli(["rules", "list"]).isEmpty)
        }
    }
}
