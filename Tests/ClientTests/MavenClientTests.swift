import Foundation
import LarderCore
import LarderServer
import LarderTesting
import Testing

/// The real `mvn`, with its own settings, global settings and local repository, resolving a
/// project's dependencies through Larder's `/maven/` mirror in front of two fixture
/// repositories: a private one behind basic auth, tried first, and a public one.
@Suite("mvn through Larder", .serialized)
struct MavenClientTests {
    static let group = "org.larder.test"
    static let parent = MavenProject(group: group, artifact: "larder-parent", version: "1.0", packaging: "pom")
    /// In the private repository: a jar whose parent is `parent`, depending on `lib-b` by range.
    static let libA = MavenProject(group: group, artifact: "lib-a", version: "1.0", parent: (group, "larder-parent", "1.0"), dependencies: [(group, "lib-b", "[1.0,2.0)")])
    /// In the public repository: three versions of `lib-b`, of which the range picks 1.1.
    static let libB = ["1.0", "1.1", "2.0"].map { MavenProject(group: group, artifact: "lib-b", version: $0) }
    /// Maven 3 adds plexus-utils 1.1 to plugins that do not depend on it: a stand-in jar.
    static let plexusUtils = MavenProject(group: "org.codehaus.plexus", artifact: "plexus-utils", version: "1.1")

    /// The private repository (basic auth `ci`/`s3cret`) and the public one, published.
    static func repositories() async throws -> (private: FixtureRegistry, public: FixtureRegistry) {
        let privateRepo = try await FixtureRegistry()
        let publicRepo = try await FixtureRegistry()
        privateRepo.protect(.basic("/releases/", user: "ci", password: "s3cret"))
        privateRepo.publishMaven(parent, prefix: "/releases")
        privateRepo.publishMaven(libA, prefix: "/releases")
        for version in libB { publicRepo.publishMaven(version) }
        publicRepo.publishMaven(plexusUtils)
        publicRepo.publishMaven(try await PackageBuilder.mavenProbePlugin(group: group, artifact: "larder-probe-maven-plugin", version: "1.0"))
        return (privateRepo, publicRepo)
    }

    /// Larder's Maven upstreams: the private repository with its credentials, then the public one.
    static func upstreams(_ repositories: (private: FixtureRegistry, public: FixtureRegistry), verifyOnHit: Bool = false) throws -> [Upstream] {
        [
            try Upstream(url: repositories.private.mavenURL(prefix: "/releases"), setting: "upstreams.maven[0]", credentials: .basic(username: "ci", password: "s3cret")),
            try Upstream(url: repositories.public.mavenURL(), setting: "upstreams.maven[1]", verifyOnHit: verifyOnHit),
        ]
    }

    /// Runs the probe plugin's `resolve` goal on a project depending on `lib-a`, with a new local
    /// repository, through `larderURL`; returns the resolved artifacts and the local repository.
    /// With `token`, `settings.xml` has a server entry for the mirror with it as the password.
    /// With `preemptive`, the token is sent with every request as an `Authorization` header
    /// (`<httpHeaders>`), not only after a challenge.
    static func resolve(through larderURL: String, token: String? = nil, preemptive: Bool = false) async throws -> (resolved: [String], repository: String) {
        let work = TestLarder.temporaryDirectory("mvn")
        let project = work + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let app = MavenProject(group: group, artifact: "app", version: "1.0", dependencies: [(group, "lib-a", "1.0")])
        try app.pom.write(to: URL(fileURLWithPath: project + "/pom.xml"))
        let settings = """
            <settings>
              <mirrors><mirror><id>larder</id><mirrorOf>*</mirrorOf><url>\(larderURL)/maven/</url></mirror></mirrors>
              \(token.map { preemptive
                ? "<servers><server><id>larder</id><configuration><httpHeaders><property><name>Authorization</name><value>Bearer \($0)</value></property></httpHeaders></configuration></server></servers>"
                : "<servers><server><id>larder</id><username>ci</username><password>\($0)</password></server></servers>" } ?? "")
            </settings>
            """
        try settings.write(toFile: work + "/settings.xml", atomically: true, encoding: .utf8)
        let repository = work + "/m2"
        let output = try await Shell.run(
            ["mvn", "-B", "-C", "-s", work + "/settings.xml", "-gs", work + "/settings.xml", "-Dmaven.repo.local=" + repository, "\(group):larder-probe-maven-plugin:1.0:resolve"],
            in: project, environment: ["HOME": work], clean: true, timeout: 240)
        let resolved = output.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "larder-resolved ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        return (resolved.sorted(), repository)
    }

    static func jar(_ project: MavenProject, in repository: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: "\(repository)/\(project.directory)/\(project.artifact)-\(project.version).jar"))
    }

    @Test("mvn resolves a jar, its parent POM and a ranged dependency from a private and a public upstream, then again with both stopped")
    func resolveWarmThenOffline() async throws {
        try #require(Shell.has("mvn") && Shell.has("javac"), "mvn and javac are needed (Debian: maven, default-jdk-headless)")
        let repositories = try await Self.repositories()
        let larder = try await TestLarder {
            $0.upstreams["maven"] = try Self.upstreams(repositories)
            $0.engine.metadataTTL = .seconds(0)
        }
        let expected = ["org.larder.test:lib-a:1.0", "org.larder.test:lib-b:1.1"]
        let warm = try await Self.resolve(through: larder.url)
        #expect(warm.resolved == expected)
        #expect(try Self.jar(Self.libB[1], in: warm.repository) == Self.libB[1].jarBytes)
        #expect(try Self.jar(Self.libA, in: warm.repository) == Self.libA.jarBytes)

        // The private repository got its credentials on every request; the public one never.
        #expect(repositories.private.received.contains { $0.path.hasSuffix("lib-a-1.0.jar") })
        #expect(repositories.private.received.allSatisfy { $0.headers["authorization"] != nil })
        #expect(repositories.public.received.contains { $0.path.hasSuffix("lib-b-1.1.jar") })
        #expect(repositories.public.received.allSatisfy { $0.headers["authorization"] == nil })
        // Clients never see them either.
        let pom = try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib-a/1.0/lib-a-1.0.pom")
        #expect(pom.status == 200)
        #expect(!pom.text.contains("s3cret") && !pom.headers.values.contains { $0.contains("Basic") })
        let stats = try #require(try await larder.engine.currentStats()["maven"])
        #expect(stats.misses > 0)

        await repositories.private.stop()
        await repositories.public.stop()
        let offline = try await Self.resolve(through: larder.url)
        #expect(offline.resolved == expected)
        #expect(try await larder.engine.currentStats()["maven"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    @Test("verify_on_hit: a release republished upstream reaches mvn, checksums and all")
    func republished() async throws {
        try #require(Shell.has("mvn") && Shell.has("javac"), "mvn and javac are needed (Debian: maven, default-jdk-headless)")
        let repositories = try await Self.repositories()
        try await stopping(repositories.private, repositories.public) {
            let larder = try await TestLarder { $0.upstreams["maven"] = try Self.upstreams(repositories, verifyOnHit: true) }
            let first = try await Self.resolve(through: larder.url)
            #expect(try Self.jar(Self.libB[1], in: first.repository) == Self.libB[1].jarBytes)

            var rebuilt = Self.libB[1]
            rebuilt.jar = Data("lib-b 1.1, published again".utf8)
            repositories.public.publishMaven(rebuilt)
            let second = try await Self.resolve(through: larder.url)
            #expect(second.resolved == ["org.larder.test:lib-a:1.0", "org.larder.test:lib-b:1.1"])
            #expect(try Self.jar(Self.libB[1], in: second.repository) == Data("lib-b 1.1, published again".utf8))
            await larder.stop()
        }
    }
}
