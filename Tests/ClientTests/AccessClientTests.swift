import Foundation
import LarderCore
import LarderTesting
import Testing

/// The real pip and npm with their own ways of sending credentials, against a Larder that
/// allows nothing without a token: with a read token they install, with a bad one they fail.
@Suite("clients with tokens", .serialized)
struct AccessClientTests {
    @Test("pip with the token as the password in its index URL: a read token installs, a bad one is refused")
    func pip() async throws {
        let upstream = try await FixtureRegistry()
        PipClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        let work = TestLarder.temporaryDirectory("pip-token")
        defer { try? FileManager.default.removeItem(atPath: work) }
        func download(_ secret: String) async throws -> String {
            let index = "http://ci:\(secret)@127.0.0.1:\(larder.port)/pypi/simple/"
            return try await Shell.run(["python3", "-m", "pip", "download", "--no-cache-dir", "--index-url", index, "-d", work + "/downloads", "larder-demo"], environment: PipClientTests.pipEnvironment(home: work), clean: true)
        }
        _ = try await download(token)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/downloads").sorted() == ["larder_demo-1.0.0-py3-none-any.whl", "larder_dep-1.0.0-py3-none-any.whl"])
        await #expect(throws: ShellError.self) { _ = try await download("larder_not-a-token") }
        await larder.stop()
        await upstream.stop()
    }

    @Test("npm with _authToken for Larder's registry: a read token installs, a bad one is refused with 401")
    func npm() async throws {
        let upstream = try await FixtureRegistry()
        _ = try await NpmClientTests.publish(upstream)
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "ci")
        func install(_ secret: String) async throws {
            let project = TestLarder.temporaryDirectory("npm-token")
            defer { try? FileManager.default.removeItem(atPath: project) }
            try Data(#"{"name": "consumer", "version": "1.0.0", "private": true}"#.utf8).write(to: URL(fileURLWithPath: project + "/package.json"))
            try "//127.0.0.1:\(larder.port)/npm/:_authToken=\(secret)\n".write(toFile: project + "/.npmrc-user", atomically: true, encoding: .utf8)
            let env = ["HOME": project, "npm_config_userconfig": project + "/.npmrc-user", "npm_config_globalconfig": project + "/.npmrc-global-none", "npm_config_update_notifier": "false"]
            try await Shell.run(
                ["npm", "install", "--registry", "\(larder.url)/npm/", "--cache", project + "/.npm-cache", "--no-audit", "--no-fund", "larder-app"],
                in: project, environment: env, clean: true)
            #expect(FileManager.default.fileExists(atPath: project + "/node_modules/larder-lib/package.json"))
        }
        try await install(token)
        do {
            try await install("larder_not-a-token")
            Issue.record("npm installed with a bad token")
        } catch let error as ShellError {
            #expect(error.message.contains("401") || error.message.contains("E401"), "\(error.message)")
        }
        await larder.stop()
        await upstream.stop()
    }

    @Test("skopeo with --src-creds: Larder's Bearer challenge and token exchange let a read token copy an image; a bad one and none are refused", .enabled(if: Shell.has("skopeo"), "skopeo is not on the PATH"))
    func skopeo() async throws {
        let work = TestLarder.temporaryDirectory("skopeo-token")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let upstream = try await FixtureRegistry()
        let layer = try await OCIClientTests.layer(["etc/os-release": "ID=fixture\n"], in: work)
        _ = upstream.publishOCIImage("team/app", layers: [layer], tags: ["1.0"])
        let larder = try await TestLarder {
            try $0.setUpstream("oci", upstream.url)
            $0.anonymous = .some(nil)
        }
        let token = try await larder.makeToken(.read, name: "puller")
        func copy(_ credentials: [String], to name: String) async throws {
            _ = try await OCIClientTests.skopeo(["copy", "--src-tls-verify=false"] + credentials + ["docker://127.0.0.1:\(larder.port)/team/app:1.0", "dir:\(work)/\(name)"], home: work)
        }
        try await copy(["--src-creds", "puller:\(token)"], to: "good")
        #expect(FileManager.default.fileExists(atPath: work + "/good/manifest.json"))
        await #expect(throws: ShellError.self) { try await copy(["--src-creds", "puller:larder_wrong"], to: "bad") }
        await #expect(throws: ShellError.self) { try await copy([], to: "none") }
        await larder.stop()
        await upstream.stop()
    }
}
