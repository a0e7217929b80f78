import Foundation
import LarderCore
@testable import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Restricted upstreams (`readers`): what a private upstream serves reaches only the tokens it
/// grants, and a public package of the same name never stands in for a private one.
@Suite("Private upstreams")
struct PrivateUpstreamTests {
    /// A private npm registry (corp-tool 1.0.0, secret-pkg, secret-two) and a public one whose
    /// corp-tool 9.9.9 is an impostor (dependency confusion), plus left-pad.
    static func registries() async throws -> (privateRegistry: FixtureRegistry, publicRegistry: FixtureRegistry) {
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        privateRegistry.publishNpm(name: "corp-tool", versions: [("1.0.0", PackageFile(filename: "corp-tool-1.0.0.tgz", data: Data("the real corp-tool".utf8)), [:])])
        privateRegistry.publishNpm(name: "secret-pkg", versions: [("1.0.0", PackageFile(filename: "secret-pkg-1.0.0.tgz", data: Data("private bytes".utf8)), [:])])
        privateRegistry.publishNpm(name: "secret-two", versions: [("2.0.0", PackageFile(filename: "secret-two-2.0.0.tgz", data: Data("more private bytes".utf8)), [:])])
        publicRegistry.publishNpm(name: "corp-tool", versions: [("9.9.9", PackageFile(filename: "corp-tool-9.9.9.tgz", data: Data("an impostor".utf8)), [:])])
        publicRegistry.publishNpm(name: "left-pad", versions: [("1.3.0", PackageFile(filename: "left-pad-1.3.0.tgz", data: Data("a tarball".utf8)), [:])])
        return (privateRegistry, publicRegistry)
    }

    /// Larder with the private registry first (readers: the token `ci` and the admin role),
    /// then the public one.
    static func larder(_ privateRegistry: FixtureRegistry, _ publicRegistry: FixtureRegistry) async throws -> TestLarder {
        try await TestLarder {
            $0.upstreams["npm"] = try Upstream.privateThenPublic("npm", privateURL: privateRegistry.url, publicURL: publicRegistry.url, readers: ["ci", "admin"])
            $0.mirrorAPI = true
        }
    }

    static func bearer(_ secret: String) -> [(String, String)] { [("Authorization", "Bearer \(secret)")] }

    @Test("a private upstream answers only granted tokens (by name or role); others, anonymous included, see the public upstream alone, whatever was fetched first, and get 404 for private-only packages, in documents, files and fast-path hits alike")
    func visibility() async throws {
        let (privateRegistry, publicRegistry) = try await Self.registries()
        let larder = try await Self.larder(privateRegistry, publicRegistry)
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            let dev = Self.bearer(try await larder.makeToken(.write, name: "dev"))
            let admin = Self.bearer(try await larder.makeToken(.admin, name: "ops"))

            // The impostor is fetched first, anonymously; granted tokens still get the real one.
            let anonymous = try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool")
            #expect(anonymous.status == 200 && anonymous.text.contains("9.9.9") && !anonymous.text.contains("1.0.0"), "\(anonymous.text)")
            #expect(privateRegistry.requests(to: "/corp-tool") == 0)
            for granted in [ci, admin] {
                let answer = try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool", headers: granted)
                #expect(answer.status == 200 && answer.text.contains("1.0.0") && !answer.text.contains("9.9.9"), "\(answer.text)")
                let tarball = try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool/-/corp-tool-1.0.0.tgz", headers: granted)
                #expect(tarball.text == "the real corp-tool")
            }
            let ungranted = try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool", headers: dev)
            #expect(ungranted.text.contains("9.9.9") && !ungranted.text.contains("1.0.0"))

            // A private-only package: the granted token fetches it (repeated hits go by the
            // fast path); nobody else gets it or learns where it lives.
            for _ in 0..<4 {
                let tarball = try await RawHTTP.send(port: larder.port, target: "/npm/secret-pkg/-/secret-pkg-1.0.0.tgz", headers: ci)
                #expect(tarball.status == 200 && tarball.text == "private bytes")
            }
            #expect((larder.larder.fastHits?.servedCount.load(ordering: .relaxed) ?? 0) > 0, "the fast path answered none of the repeated hits")
            let privateAsked = privateRegistry.requestCounts.values.reduce(0, +)
            for headers in [[], dev] {
                for target in ["/npm/secret-pkg", "/npm/secret-pkg/-/secret-pkg-1.0.0.tgz"] {
                    let refused = try await RawHTTP.send(port: larder.port, target: target, headers: headers)
                    #expect(refused.status == 404, "\(target): \(refused.status) \(refused.text)")
                    #expect(!refused.text.contains("private bytes") && !refused.text.contains(privateRegistry.url) && !refused.text.contains("127.0.0.1:\(privateRegistry.port)"), "\(refused.text)")
                }
            }
            #expect(privateRegistry.requestCounts.values.reduce(0, +) == privateAsked, "an ungranted request reached the private upstream")

            // Packages only the public upstream has are served to everyone.
            for headers in [[], ci, dev] {
                #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz", headers: headers).text == "a tarball")
            }
        }
    }

    @Test("a mirror job reads the restricted upstreams of the token that started it: a granted token's job fills its view, served offline afterwards; an ungranted one's finds nothing private; a granted token's job is shown only to it, to tokens granted as much, and to admins")
    func mirrorJobs() async throws {
        let (privateRegistry, publicRegistry) = try await Self.registries()
        let larder = try await Self.larder(privateRegistry, publicRegistry)
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = try await larder.makeToken(.write, name: "ci")
            let dev = try await larder.makeToken(.write, name: "dev")
            var states: [String: [String: Any]] = [:]
            var ids: [String: String] = [:]
            for (name, secret) in [("ci", ci), ("dev", dev)] {
                let answer = try await RawHTTP.send(
                    port: larder.port, method: "POST", target: "/api/mirror", headers: Self.bearer(secret) + [("Content-Type", "application/json")],
                    body: Data(#"{"purls": ["pkg:npm/secret-two@2.0.0"]}"#.utf8))
                #expect(answer.status == 202, "\(answer.text)")
                let id = try #require(try MirrorAPITests.job(answer)["id"] as? String)
                ids[name] = id
                states[name] = try await MirrorAPITests.wait(larder, id, headers: Self.bearer(secret)) { $0 == "done" || $0 == "failed" }
                #expect(states[name]?["submittedBy"] as? String == name)
            }
            #expect((states["ci"]?["progress"] as? [String: Any])?["fetched"] as? Int == 1, "\(states["ci"] ?? [:])")
            #expect((states["dev"]?["progress"] as? [String: Any])?["fetched"] as? Int == 0, "\(states["dev"] ?? [:])")

            // ci's job names private packages: dev and anonymous clients neither list nor read it.
            let admin = try await larder.makeToken(.admin, name: "ops")
            func listed(_ headers: [(String, String)]) async throws -> [String] {
                let answer = try await RawHTTP.send(port: larder.port, target: "/api/mirror", headers: headers)
                return ((try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["jobs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            let (ciJob, devJob) = (try #require(ids["ci"]), try #require(ids["dev"]))
            #expect(Set(try await listed(Self.bearer(ci))) == [ciJob, devJob])
            #expect(Set(try await listed(Self.bearer(admin))) == [ciJob, devJob])
            #expect(try await listed(Self.bearer(dev)) == [devJob])
            #expect(try await listed([]) == [devJob])
            for headers in [[], Self.bearer(dev)] {
                for target in ["/api/mirror/\(ciJob)", "/api/mirror/\(ciJob)/events"] {
                    #expect(try await RawHTTP.send(port: larder.port, target: target, headers: headers).status == 404)
                }
            }
            #expect(try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/api/mirror/\(ciJob)", headers: Self.bearer(dev)).status == 404)

            await privateRegistry.stop()
            let offline = try await RawHTTP.send(port: larder.port, target: "/npm/secret-two/-/secret-two-2.0.0.tgz", headers: Self.bearer(ci))
            #expect(offline.status == 200 && offline.text == "more private bytes", "\(offline.status) \(offline.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/secret-two/-/secret-two-2.0.0.tgz").status == 404)
        }
    }

    @Test("a private upstream that cannot be reached is not replaced by the next one: its stored document is served stale, a package not yet stored fails naming the outage, and a public fallback list still falls through")
    func privateOutage() async throws {
        let (privateRegistry, publicRegistry) = try await Self.registries()
        let larder = try await TestLarder {
            $0.upstreams["npm"] = try Upstream.privateThenPublic("npm", privateURL: privateRegistry.url, publicURL: publicRegistry.url, readers: ["ci"])
            $0.engine.metadataTTL = .zero
        }
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool", headers: ci).text.contains("1.0.0"))
            await privateRegistry.stop()
            let stale = try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool", headers: ci)
            #expect(stale.status == 200 && stale.text.contains("1.0.0") && !stale.text.contains("9.9.9"), "\(stale.text)")
            #expect(stale.headers["x-larder-cache"] == "STALE")
            let refused = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: ci)
            #expect(refused.status >= 500 && refused.text.contains("not asked in its place"), "\(refused.status) \(refused.text)")
            #expect(publicRegistry.requests(to: "/left-pad") == 0)
            // Everyone else never depended on the private upstream.
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad").status == 200)
        }

        // An upstream with credentials (no readers) is private too; two public ones still fall through.
        let (credentialed, second) = try await Self.registries()
        let third = try await FixtureRegistry()
        third.publishNpm(name: "left-pad", versions: [("1.3.0", PackageFile(filename: "left-pad-1.3.0.tgz", data: Data("a tarball".utf8)), [:])])
        let other = try await TestLarder {
            $0.upstreams["npm"] = [
                try Upstream(url: credentialed.url, setting: "upstreams.npm[0]", credentials: .bearer(token: "s3cret")),
                try Upstream(url: second.url, setting: "upstreams.npm[1]"),
            ]
        }
        let fallback = try await TestLarder {
            $0.upstreams["npm"] = [try Upstream(url: second.url, setting: "upstreams.npm[0]"), try Upstream(url: third.url, setting: "upstreams.npm[1]")]
        }
        try await other.stopping(credentialed, third) {
            await credentialed.stop()
            await second.stop()
            let answer = try await RawHTTP.send(port: other.port, target: "/npm/corp-tool")
            #expect(answer.status >= 500 && answer.text.contains("not asked in its place") && !answer.text.contains("s3cret"), "\(answer.text)")
            let fellThrough = try await RawHTTP.send(port: fallback.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz")
            #expect(fellThrough.status == 200 && fellThrough.text == "a tarball", "\(fellThrough.status) \(fellThrough.text)")
            await fallback.stop()
        }
    }

    @Test("a silent private upstream (it accepts and never answers) is not replaced by the next one either: the stored document is served stale after the revalidation deadline, and a package not yet stored fails once the read times out, the public upstream not asked")
    func silentPrivateUpstream() async throws {
        let (privateRegistry, publicRegistry) = try await Self.registries()
        let larder = try await TestLarder {
            $0.upstreams["npm"] = try Upstream.privateThenPublic("npm", privateURL: privateRegistry.url, publicURL: publicRegistry.url, readers: ["ci"])
            $0.engine.metadataTTL = .zero
            $0.engine.revalidationDeadline = .milliseconds(300)
            // Long enough for the first fetch on a loaded machine; the silent upstream costs this once.
            $0.timeouts.read = .seconds(5)
        }
        let gate = FixtureGate()
        try await larder.stopping(privateRegistry, publicRegistry) {
            defer { gate.open() }
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool", headers: ci).text.contains("1.0.0"))
            for path in ["/corp-tool", "/left-pad"] {
                privateRegistry.set(path, FixtureRegistry.Resource(body: ByteBuffer(string: "{}"), contentType: "application/json", fault: .gate(gate)))
            }
            let stale = try await RawHTTP.send(port: larder.port, target: "/npm/corp-tool", headers: ci)
            #expect(stale.status == 200 && stale.text.contains("1.0.0") && !stale.text.contains("9.9.9"), "\(stale.text)")
            #expect(stale.headers["x-larder-cache"] == "STALE")
            let refused = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: ci)
            #expect(refused.status >= 500 && refused.text.contains("not asked in its place"), "\(refused.status) \(refused.text)")
            #expect(publicRegistry.requests(to: "/left-pad") == 0 && publicRegistry.requests(to: "/corp-tool") == 0)
        }
    }

    @Test("Composer, whose documents are found through each upstream's root: anonymous clients get the public root and package, the granted token the private ones")
    func composerViews() async throws {
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        for registry in [privateRegistry, publicRegistry] { registry.publishComposerRoot() }
        privateRegistry.publishComposerPackage("acme/lib", versions: [.init(version: "1.0.0", archive: ComposerServerTests.archive)])
        publicRegistry.publishComposerPackage("acme/lib", versions: [.init(version: "9.9.9", archive: ComposerServerTests.newer)])
        let larder = try await TestLarder {
            $0.upstreams["composer"] = try Upstream.privateThenPublic("composer", privateURL: privateRegistry.url, publicURL: publicRegistry.url, readers: ["ci"])
        }
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            for headers in [[], ci] {
                let root = try await RawHTTP.send(port: larder.port, target: "/composer/packages.json", headers: headers)
                #expect(root.status == 200, "\(root.text)")
                let p2 = try await RawHTTP.send(port: larder.port, target: "/composer/p2/acme/lib.json", headers: headers)
                let expected = headers.isEmpty ? "9.9.9" : "1.0.0"
                #expect(p2.status == 200 && p2.text.contains("\"\(expected)\"") && !p2.text.contains(headers.isEmpty ? "\"1.0.0\"" : "\"9.9.9\""), "\(p2.text)")
            }
            #expect(privateRegistry.requests(to: "/packages.json") == 1)
        }
    }

    @Test("NuGet, whose files are found through each feed's service index: anonymous clients get the public feed's versions and registrations, the granted token the private feed's")
    func nugetViews() async throws {
        let privateRegistry = try await FixtureRegistry()
        let publicRegistry = try await FixtureRegistry()
        let privatePackages = privateRegistry.publishNuGetPackage(id: "Corp.Tool", versions: ["1.0.0"])
        _ = publicRegistry.publishNuGetPackage(id: "Corp.Tool", versions: ["9.9.9"])
        let larder = try await TestLarder {
            $0.upstreams["nuget"] = try Upstream.privateThenPublic(
                "nuget", privateURL: privateRegistry.url + "/v3/index.json", publicURL: publicRegistry.url + "/v3/index.json", readers: ["ci"])
        }
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            for (headers, expected) in [([(String, String)](), "9.9.9"), (ci, "1.0.0")] {
                let flat = try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/corp.tool/index.json", headers: headers)
                #expect(flat.status == 200 && flat.text.contains(expected) && flat.text.components(separatedBy: "\"versions\"").count == 2, "\(flat.text)")
                #expect(!flat.text.contains(expected == "9.9.9" ? "1.0.0" : "9.9.9"), "\(flat.text)")
                let registration = try await RawHTTP.send(port: larder.port, target: "/nuget/v3/registration/corp.tool/index.json", headers: headers)
                #expect(registration.status == 200 && registration.text.contains(expected), "\(registration.text)")
            }
            let file = "/nuget/v3-flatcontainer/corp.tool/1.0.0/corp.tool.1.0.0.nupkg"
            #expect(try await RawHTTP.send(port: larder.port, target: file, headers: ci).body == privatePackages["1.0.0"]!.data)
            #expect(try await RawHTTP.send(port: larder.port, target: file).status == 404)
        }
    }

    @Test("Terraform's service discovery offers the modules of the first registry the requester may read, and refusals name only the registries the requester may read")
    func terraformDiscovery() async throws {
        let larder = try await TestLarder {
            $0.upstreams["terraform"] = [
                try Upstream(url: "http://127.0.0.1:9", setting: "upstreams.terraform.registry.private", name: "registry.private", readers: ["ci"]),
                try Upstream(url: "http://127.0.0.1:10", setting: "upstreams.terraform.registry.example", name: "registry.example"),
            ]
        }
        try await larder.stopping {
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            func modules(_ headers: [(String, String)]) async throws -> String? {
                let answer = try await RawHTTP.send(port: larder.port, target: "/.well-known/terraform.json", headers: headers)
                return (try JSONSerialization.jsonObject(with: answer.body) as? [String: String])?["modules.v1"]
            }
            #expect(try await modules([]) == "\(larder.url)/terraform/modules/v1/registry.example/")
            #expect(try await modules(ci) == "\(larder.url)/terraform/modules/v1/registry.private/")
            // A request for the private registry's modules or providers names no private host.
            for target in ["/terraform/modules/v1/registry.private/acme/net/aws/versions", "/terraform/providers/registry.private/acme/tool/index.json", "/terraform/providers/other.example/acme/tool/index.json"] {
                let refused = try await RawHTTP.send(port: larder.port, target: target)
                #expect(refused.status == 404 && refused.text.contains("(configured: registry.example)"), "\(target): \(refused.text)")
            }
        }
    }

    @Test("revoking a version with purge deletes its stored copies in every view")
    func purgeEveryView() async throws {
        let (privateRegistry, publicRegistry) = try await Self.registries()
        let larder = try await Self.larder(privateRegistry, publicRegistry)
        try await larder.stopping(privateRegistry, publicRegistry) {
            let ci = Self.bearer(try await larder.makeToken(.read, name: "ci"))
            let admin = Self.bearer(try await larder.makeToken(.admin, name: "ops"))
            // left-pad stored twice: in the public view and in the view of tokens granted the
            // private upstream.
            for headers in [[], ci] {
                #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz", headers: headers).status == 200)
            }
            let answer = try await RawHTTP.send(
                port: larder.port, method: "POST", target: "/api/revocations", headers: admin + [("Content-Type", "application/json")],
                body: Data(#"{"purl": "pkg:npm/left-pad@1.3.0", "note": "compromised", "purge": true}"#.utf8))
            #expect(answer.status == 201, "\(answer.text)")
            let purged = try #require(try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any])["purged"] as? [[String: Any]]
            #expect(purged?.count == 2, "\(answer.text)")
            #expect(purged?.contains { ($0["key"] as? String)?.contains("#view=") == true } == true, "\(answer.text)")
        }
    }

    @Test("readers mistakes stop Larder with a message naming the setting", arguments: [
        ("upstreams:\n  npm:\n    - url: https://r.example\n      readers: []\n", "upstreams.npm[0].readers must be a list"),
        ("upstreams:\n  npm:\n    - url: https://r.example\n      readers: [\"bad name!\"]\n", "'bad name!' is neither a role"),
        ("upstreams:\n  npm:\n    - url: https://r.example\n      readers: 3\n", "must be a list"),
        ("upstreams:\n  npm:\n    - url: https://r.example\n      readers: [ci]\n    - url: https://r.example/\n", "upstreams.npm[0] and upstreams.npm[1] have the same URL"),
    ])
    func readersErrors(yaml: String, expected: String) throws {
        let path = try ConfigurationTests.file(yaml)
        #expect { try LarderConfiguration.resolve(file: path, environment: [:]) } throws: { "\($0)".contains(expected) }
    }

    @Test("readers are read from the file: token names and roles, a list or one comma-separated string; roles grant that role and above")
    func readersParsed() throws {
        let path = try ConfigurationTests.file("""
            upstreams:
              npm:
                - url: https://npm.internal.example
                  readers: [ci, write]
                - url: https://registry.npmjs.org
              maven:
                url: https://maven.internal.example
                readers: "release-bot, admin"
            """)
        let configuration = try LarderConfiguration.resolve(file: path, environment: [:])
        let npm = try #require(configuration.upstreams["npm"])
        #expect(npm[0].readers == ["ci", "write"] && npm[0].isRestricted && !npm[1].isRestricted)
        #expect(configuration.upstreams["maven"]?.first?.readers == ["release-bot", "admin"])
        let grants = UpstreamGrants(upstreams: configuration.upstreams, adapters: [])
        let token = { (name: String, role: AccessRole) in AccessToken(name: name, role: role, createdAt: Date()) }
        #expect(grants.grant(for: token("ci", .read)).upstreams == [npm[0].id])
        #expect(grants.grant(for: token("other", .read)).upstreams.isEmpty)
        #expect(grants.grant(for: token("other", .write)).upstreams == [npm[0].id])
        #expect(grants.grant(for: token("release-bot", .read)).upstreams == ["https://maven.internal.example"])
        #expect(grants.grant(for: token("root", .admin)).upstreams.count == 2)
        #expect(grants.grant(for: nil).upstreams.isEmpty && grants.grant(for: nil).tag.isEmpty)
        #expect(grants.byEcosystem["npm"] == [npm[0].id])
    }
}
