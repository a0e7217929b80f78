import Foundation
import LarderCore
import LarderTesting
import Testing

/// Real clients against a Larder with a private upstream (readers: the token `ci`) in front of
/// a public one whose package of the same name is an impostor: the granted client installs the
/// private package, everyone else the public one or nothing.
@Suite("clients and private upstreams", .serialized)
struct PrivateUpstreamClientTests {
    @Test("npm: with the ci token in its user config, npm installs the private corp-lib 1.0.0 and the private-only corp-secret; without a token it gets the public impostor corp-lib 9.9.9 and cannot find corp-secret")
    func npm() async throws {
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        privateRegistry.publishNpm(name: "corp-lib", versions: [("1.0.0", try await PackageBuilder.npmTarball(name: "corp-lib", version: "1.0.0"), [:])])
        privateRegistry.publishNpm(name: "corp-secret", versions: [("1.0.0", try await PackageBuilder.npmTarball(name: "corp-secret", version: "1.0.0"), [:])])
        publicRegistry.publishNpm(name: "corp-lib", versions: [("9.9.9", try await PackageBuilder.npmTarball(name: "corp-lib", version: "9.9.9"), [:])])
        let larder = try await TestLarder {
            $0.upstreams["npm"] = try Upstream.privateThenPublic("npm", privateURL: privateRegistry.url, publicURL: publicRegistry.url, readers: ["ci"])
        }
        try await larder.stopping(privateRegistry, publicRegistry) {
            let token = try await larder.makeToken(.read, name: "ci")
            func install(_ packages: [String], token: String?) async throws -> String {
                let (project, env, npm) = try PolicyClientTests.npmProject(larder, "npm-private")
                defer { try? FileManager.default.removeItem(atPath: project) }
                var environment = env
                if let token {
                    try "//127.0.0.1:\(larder.port)/npm/:_authToken=\(token)\n".write(toFile: project + "/.npmrc-user", atomically: true, encoding: .utf8)
                    environment["npm_config_userconfig"] = project + "/.npmrc-user"
                }
                try await Shell.run(npm + packages, in: project, environment: environment, clean: true, timeout: 120)
                return try await Shell.run(["node", "-e", "console.log(require('corp-lib/package.json').version)"], in: project, environment: environment, clean: true)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await install(["corp-lib"], token: nil) == "9.9.9")
            #expect(try await install(["corp-lib", "corp-secret"], token: token) == "1.0.0")
            do {
                _ = try await install(["corp-secret"], token: nil)
                Issue.record("npm installed a private-only package without a token")
            } catch let error as ShellError {
                #expect(error.message.contains("404"), "\(error.message)")
            }
        }
    }

    @Test("pip: with the ci token as the password in its index URL, pip downloads the private corp-dep 1.0.0; without one it sees only the public 9.0.0")
    func pip() async throws {
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        privateRegistry.publishPyPI(project: "corp-dep", files: [PackageBuilder.wheel(name: "corp-dep", version: "1.0.0")], format: .json)
        publicRegistry.publishPyPI(project: "corp-dep", files: [PackageBuilder.wheel(name: "corp-dep", version: "9.0.0")], format: .json)
        let larder = try await TestLarder {
            $0.upstreams["pypi"] = try Upstream.privateThenPublic("pypi", privateURL: privateRegistry.pypiIndexURL, publicURL: publicRegistry.pypiIndexURL, readers: ["ci"])
        }
        try await larder.stopping(privateRegistry, publicRegistry) {
            let token = try await larder.makeToken(.read, name: "ci")
            let work = TestLarder.temporaryDirectory("pip-private")
            defer { try? FileManager.default.removeItem(atPath: work) }
            func download(_ index: String) async throws -> [String] {
                let target = work + "/downloads-\(UUID().uuidString.prefix(8))"
                try await Shell.run(
                    ["python3", "-m", "pip", "download", "--no-deps", "--index-url", index, "-d", target, "corp-dep"], environment: PipClientTests.pipEnvironment(home: work), clean: true,
                    timeout: 120)
                return try FileManager.default.contentsOfDirectory(atPath: target)
            }
            #expect(try await download("\(larder.url)/pypi/simple/") == ["corp_dep-9.0.0-py3-none-any.whl"])
            #expect(try await download("http://ci:\(token)@127.0.0.1:\(larder.port)/pypi/simple/") == ["corp_dep-1.0.0-py3-none-any.whl"])
            #expect(privateRegistry.requests(to: "/files/corp_dep-1.0.0-py3-none-any.whl") == 1)
        }
    }

    @Test("larder token list shows the restricted upstreams each token may read; larder mirror --reader ci fills the ci token's view from the private upstream, which serves ci offline afterwards; without --reader the private-only package is not found")
    func commandLineMirror() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build the larder executable first (swift build)")
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        privateRegistry.publishNpm(name: "corp-secret", versions: [("1.0.0", PackageFile(filename: "corp-secret-1.0.0.tgz", data: Data("private bytes".utf8)), [:])])
        let data = TestLarder.temporaryDirectory("mirror-reader")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let config = data + "/larder.yaml"
        try """
            upstreams:
              npm:
                - url: \(privateRegistry.url)
                  readers: [ci]
                - url: \(publicRegistry.url)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let mirror = [CommandLineTests.binary, "mirror", "--config", config, "--data-dir", data, "pkg:npm/corp-secret@1.0.0"]
        // Without --reader only the public upstream is asked, which has no such package.
        await #expect { try await Shell.run(mirror) } throws: { "\($0)".contains("\(publicRegistry.url)/corp-secret answered 404") && !"\($0)".contains(privateRegistry.url) }
        #expect(privateRegistry.requestCounts.isEmpty)
        let secret = try await Shell.run([CommandLineTests.binary, "token", "create", "--name", "ci", "--role", "read", "--data-dir", data])
            .split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("larder_") }.map(String.init)
        let token = try #require(secret)
        _ = try await Shell.run([CommandLineTests.binary, "token", "create", "--name", "dev", "--role", "write", "--data-dir", data])
        // token list names the restricted upstreams each token may read.
        let list = try await Shell.run([CommandLineTests.binary, "token", "list", "--config", config, "--data-dir", data])
        #expect(list.contains("\tactive\tupstreams.npm[0]\n") && list.contains("dev\twrite\t") && list.contains("\tactive\t-\n"), "\(list)")
        let output = try await Shell.run(mirror + ["--reader", "ci"])
        #expect(output.contains("fetched 1"), "\(output)")

        await privateRegistry.stop()
        let larder = try await TestLarder(dataDirectory: data) {
            $0.upstreams["npm"] = try Upstream.privateThenPublic("npm", privateURL: privateRegistry.url, publicURL: publicRegistry.url, readers: ["ci"])
        }
        try await larder.stopping(publicRegistry) {
            let tarball = "/npm/corp-secret/-/corp-secret-1.0.0.tgz"
            let granted = try await RawHTTP.send(port: larder.port, target: tarball, headers: [("Authorization", "Bearer \(token)")])
            #expect(granted.text == "private bytes")
            let anonymous = try await RawHTTP.send(port: larder.port, target: tarball)
            #expect(anonymous.status == 404)
        }
    }

    @Test("mvn on a listener with anonymous reads: it sends a server's username and password only when challenged, so it reads the public view and misses the private lib-a; with the token as a preemptive Authorization header it resolves lib-a from the private repository")
    func maven() async throws {
        try #require(Shell.has("mvn") && Shell.has("javac"), "mvn and javac are needed (Debian: maven, default-jdk-headless)")
        let repositories = try await MavenClientTests.repositories()
        let larder = try await TestLarder {
            var upstreams = try MavenClientTests.upstreams(repositories)
            upstreams[0] = try Upstream(
                url: repositories.private.mavenURL(prefix: "/releases"), setting: "upstreams.maven[0]", credentials: .basic(username: "ci", password: "s3cret"), readers: ["ci"])
            $0.upstreams["maven"] = upstreams
        }
        try await larder.stopping(repositories.private, repositories.public) {
            let token = try await larder.makeToken(.read, name: "ci")
            await #expect(throws: ShellError.self) { _ = try await MavenClientTests.resolve(through: larder.url, token: token) }
            let resolved = try await MavenClientTests.resolve(through: larder.url, token: token, preemptive: true)
            #expect(resolved.resolved == ["org.larder.test:lib-a:1.0", "org.larder.test:lib-b:1.1"])
        }
    }

    @Test("skopeo on a listener without anonymous reads: challenged, it sends the ci token and copies an image of the private registry; a token not granted it copies nothing from there but the default registry's images", .enabled(if: Shell.has("skopeo"), "skopeo is not on the PATH"))
    func skopeo() async throws {
        let work = TestLarder.temporaryDirectory("skopeo-private")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        let layer = try await OCIClientTests.layer(["etc/os-release": "ID=private\n"], in: work)
        _ = privateRegistry.publishOCIImage("team/app", layers: [layer], tags: ["1.0"])
        _ = publicRegistry.publishOCIImage("team/app", layers: [layer], tags: ["1.0"])
        let larder = try await TestLarder {
            $0.upstreams["oci"] = [
                try Upstream(url: privateRegistry.url, setting: "upstreams.oci.private.example", name: "private.example", readers: ["ci"]),
                try Upstream(url: publicRegistry.url, setting: "upstreams.oci.default", name: "default"),
            ]
            $0.anonymous = .some(nil)
        }
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = try await larder.makeToken(.read, name: "ci")
            let dev = try await larder.makeToken(.read, name: "dev")
            let registry = "127.0.0.1:\(larder.port)"
            func copy(_ image: String, as name: String, token: String, to target: String) async throws {
                _ = try await OCIClientTests.skopeo(["copy", "--src-tls-verify=false", "--src-creds", "\(name):\(token)", "docker://\(registry)/\(image)", "dir:\(work)/\(target)"], home: work)
            }
            try await copy("private.example/team/app:1.0", as: "ci", token: ci, to: "private")
            #expect(FileManager.default.fileExists(atPath: work + "/private/manifest.json"))
            let asked = privateRegistry.requestCounts.values.reduce(0, +)
            await #expect(throws: ShellError.self) { try await copy("private.example/team/app:1.0", as: "dev", token: dev, to: "refused") }
            #expect(privateRegistry.requestCounts.values.reduce(0, +) == asked, "a token not granted the private registry reached it")
            try await copy("team/app:1.0", as: "dev", token: dev, to: "public")
            #expect(FileManager.default.fileExists(atPath: work + "/public/manifest.json"))
        }
    }
}
