import Crypto
import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// The Maven repository over HTTP, in front of a fixture repository.
@Suite("Maven over HTTP")
struct MavenServerTests {
    static let lib = MavenProject(group: "org.larder.test", artifact: "lib", version: "1.0")
    static let jarPath = "/maven/org/larder/test/lib/1.0/lib-1.0.jar"

    /// Runs `body` with a fixture repository holding `lib` and Larder in front of it.
    static func withMaven(ttl: Duration = .seconds(300), verifyOnHit: Bool = false, publish: Bool = true, _ body: (FixtureRegistry, TestLarder) async throws -> Void) async throws {
        let upstream = try await FixtureRegistry()
        if publish { upstream.publishMaven(lib) }
        let larder = try await TestLarder {
            try $0.setUpstream("maven", upstream.mavenURL(), verifyOnHit: verifyOnHit)
            $0.engine.metadataTTL = ttl
        }
        try await larder.stopping(upstream) { try await body(upstream, larder) }
    }

    static func sha1(_ data: Data) -> String { Insecure.SHA1.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    @Test("release files are verified against the upstream's .sha1, stored, and served from the cache")
    func verifiedArtifact() async throws {
        try await Self.withMaven { upstream, larder in
            let miss = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(miss.status == 200)
            #expect(miss.headers["x-larder-cache"] == "MISS")
            #expect(miss.body == Self.lib.jarBytes)
            let hit = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(hit.headers["x-larder-cache"] == "HIT")
            #expect(hit.headers["content-type"] == "application/java-archive")
            #expect(upstream.requests(to: "/maven2/org/larder/test/lib/1.0/lib-1.0.jar") == 1)
            #expect(upstream.requests(to: "/maven2/org/larder/test/lib/1.0/lib-1.0.jar.sha1") == 1)
            let entry = try #require(try await larder.engine.lookup("maven/org/larder/test/lib/1.0/lib-1.0.jar"))
            #expect(entry.checksums[.sha1] == Self.sha1(Self.lib.jarBytes))
            #expect(entry.upstream == upstream.mavenURL())

            let checksum = try await RawHTTP.send(port: larder.port, target: Self.jarPath + ".sha1")
            #expect(checksum.status == 200)
            #expect(checksum.text == Self.sha1(Self.lib.jarBytes))
            let pom = try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/1.0/lib-1.0.pom")
            #expect(pom.body == Self.lib.pom)
            let range = try await RawHTTP.send(port: larder.port, target: Self.jarPath, headers: [("Range", "bytes=-22")])
            #expect(range.status == 206)
            #expect(range.body == Self.lib.jarBytes.suffix(22))
        }
    }

    @Test("a checksum file that disagrees refuses the artifact; the SHA-256 file is preferred to the SHA-1 one")
    func lyingChecksums() async throws {
        try await Self.withMaven(publish: false) { upstream, larder in
            let jar = Self.lib.jarBytes
            upstream.set("/maven2/org/larder/test/lib/1.0/lib-1.0.jar", body: ByteBuffer(bytes: jar))
            upstream.set("/maven2/org/larder/test/lib/1.0/lib-1.0.jar.sha1", body: ByteBuffer(string: Self.sha1(Data("other bytes".utf8))))
            let refused = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(refused.body.count < jar.count)  // the last byte is held back, then the connection cut
            #expect(try await larder.engine.lookup("maven/org/larder/test/lib/1.0/lib-1.0.jar") == nil)

            // A right SHA-1 does not help when the SHA-256 file, checked first, is wrong.
            upstream.set("/maven2/org/larder/test/lib/1.0/lib-1.0.jar.sha1", body: ByteBuffer(string: Self.sha1(jar)))
            upstream.set("/maven2/org/larder/test/lib/1.0/lib-1.0.jar.sha256", body: ByteBuffer(string: String(repeating: "ab", count: 32)))
            let stillRefused = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(stillRefused.body.count < jar.count)
            #expect(try await larder.engine.lookup("maven/org/larder/test/lib/1.0/lib-1.0.jar") == nil)

            upstream.remove("/maven2/org/larder/test/lib/1.0/lib-1.0.jar.sha256")
            #expect(try await RawHTTP.send(port: larder.port, target: Self.jarPath).body == jar)

            // No checksum files at all: stored (and logged) unverified.
            upstream.set("/maven2/org/larder/test/lib/2.0/lib-2.0.jar", body: ByteBuffer(string: "unchecked"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/2.0/lib-2.0.jar").text == "unchecked")

            // An error page served as a checksum file is not stored as one.
            upstream.set("/maven2/org/larder/test/lib/2.0/lib-2.0.pom.sha1", body: ByteBuffer(string: "<html>login</html>"), contentType: "text/html")
            let page = try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/2.0/lib-2.0.pom.sha1")
            #expect(page.body.count < "<html>login</html>".utf8.count)
            #expect(try await larder.engine.lookup("maven/org/larder/test/lib/2.0/lib-2.0.pom.sha1") == nil)
        }
    }

    @Test("maven-metadata.xml is metadata: revalidated, served stale when upstream is down, its checksums computed from the served copy")
    func repositoryMetadata() async throws {
        try await Self.withMaven(ttl: .seconds(0)) { upstream, larder in
            let target = "/maven/org/larder/test/lib/maven-metadata.xml"
            let first = try await RawHTTP.send(port: larder.port, target: target)
            #expect(first.status == 200)
            #expect(first.text.contains("<version>1.0</version>"))
            #expect(first.headers["x-larder-cache"] == "MISS")
            let checksum = try await RawHTTP.send(port: larder.port, target: target + ".sha1")
            #expect(checksum.text == Self.sha1(first.body))
            let md5 = try await RawHTTP.send(port: larder.port, target: target + ".md5")
            #expect(md5.text.count == 32)

            upstream.publishMaven(MavenProject(group: "org.larder.test", artifact: "lib", version: "1.1"))
            let updated = try await RawHTTP.send(port: larder.port, target: target)
            #expect(updated.text.contains("<version>1.1</version>"))
            #expect(try await RawHTTP.send(port: larder.port, target: target + ".sha1").text == Self.sha1(updated.body))
            #expect(upstream.received.contains { $0.path == "/maven2/org/larder/test/lib/maven-metadata.xml" && $0.headers["if-none-match"] != nil })

            await upstream.stop()
            let stale = try await RawHTTP.send(port: larder.port, target: target)
            #expect(stale.status == 200)
            #expect(stale.headers["x-larder-cache"] == "STALE")
            #expect(stale.headers["warning"]?.contains("110") == true)
            #expect(stale.body == updated.body)
            #expect(try await RawHTTP.send(port: larder.port, target: target + ".sha1").text == Self.sha1(updated.body))
        }
    }

    @Test("snapshot files are metadata: a new upload upstream is served after the TTL")
    func snapshots() async throws {
        try await Self.withMaven(ttl: .seconds(0)) { upstream, larder in
            let path = "/maven2/org/larder/test/lib/1.1-SNAPSHOT/lib-1.1-SNAPSHOT.jar"
            upstream.set(path, body: ByteBuffer(string: "build 1"), contentType: "application/java-archive", etag: "\"1\"")
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/1.1-SNAPSHOT/lib-1.1-SNAPSHOT.jar").text == "build 1")
            upstream.set(path, body: ByteBuffer(string: "build 2"), contentType: "application/java-archive", etag: "\"2\"")
            let second = try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/1.1-SNAPSHOT/lib-1.1-SNAPSHOT.jar")
            #expect(second.text == "build 2")
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/1.1-SNAPSHOT/lib-1.1-SNAPSHOT.jar.sha1").text == Self.sha1(Data("build 2".utf8)))
        }
    }

    @Test("writes are refused, directories are not listed, path tricks are 400, HEAD starts no download")
    func refusals() async throws {
        try await Self.withMaven { upstream, larder in
            let put = try await RawHTTP.send(port: larder.port, method: "PUT", target: Self.jarPath, body: Data("x".utf8))
            #expect(put.status == 405)
            #expect(put.text.contains("read-only"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/").status == 404)
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/../../etc/passwd").status == 400)
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/.git/config").status == 400)
            let head = try await RawHTTP.send(port: larder.port, method: "HEAD", target: Self.jarPath)
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "\(Self.lib.jarBytes.count)")
            #expect(upstream.requests(to: "/maven2/org/larder/test/lib/1.0/lib-1.0.jar", method: "GET") == 0)
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/9.9/lib-9.9.jar").status == 404)
        }
    }

    @Test("verify_on_hit: a file republished upstream replaces the cached copy; an unreachable upstream leaves it served")
    func coherence() async throws {
        try await Self.withMaven(verifyOnHit: true) { upstream, larder in
            #expect(try await RawHTTP.send(port: larder.port, target: Self.jarPath).body == Self.lib.jarBytes)
            let same = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(same.headers["x-larder-cache"] == "HIT")
            #expect(upstream.received.last?.method == "HEAD")
            #expect(upstream.received.last?.headers["if-none-match"] != nil)

            let republished = MavenProject(group: "org.larder.test", artifact: "lib", version: "1.0", jar: Data("a different build".utf8))
            upstream.publishMaven(republished)
            let replaced = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(replaced.headers["x-larder-cache"] == "MISS")
            #expect(replaced.body == Data("a different build".utf8))
            #expect(try await RawHTTP.send(port: larder.port, target: Self.jarPath + ".sha1").text == Self.sha1(Data("a different build".utf8)))

            // Without validators, the upstream's .sha1 decides.
            let bare = "/maven2/org/larder/test/lib/3.0/lib-3.0.jar"
            upstream.set(bare, body: ByteBuffer(string: "three"))
            upstream.set(bare + ".sha1", body: ByteBuffer(string: Self.sha1(Data("three".utf8))))
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/3.0/lib-3.0.jar").text == "three")
            upstream.set(bare, body: ByteBuffer(string: "three, again"))
            upstream.set(bare + ".sha1", body: ByteBuffer(string: Self.sha1(Data("three, again".utf8))))
            #expect(try await RawHTTP.send(port: larder.port, target: "/maven/org/larder/test/lib/3.0/lib-3.0.jar").text == "three, again")

            await upstream.stop()
            let offline = try await RawHTTP.send(port: larder.port, target: Self.jarPath)
            #expect(offline.headers["x-larder-cache"] == "HIT")
            #expect(offline.body == Data("a different build".utf8))
        }
    }
}
