import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/debian/<name>/` over HTTP, in front of a fixture archive.
@Suite("Debian archives", .enabled(if: Shell.has("apt-ftparchive") && Shell.has("dpkg-deb"), "apt-ftparchive (apt-utils) and dpkg-deb are needed"))
struct DebianServerTests {
    @Test("pool files are checked against the SHA-256 the suite's index lists")
    func poolChecked() async throws {
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        let hello = FixtureDebianPackage(name: "larder-hello", version: "1.0-1")
        let files = try await upstream.publishDebianArchive(packages: [hello], key: key)
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
        }
        try await larder.stopping(upstream) {
            #expect(try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease").status == 200)
            let stored = try await larder.engine.storedEntries(withKeyPrefix: "debian/test/dists/", ecosystem: "deb", limit: 100).map(\.key)
            #expect(stored == ["debian/test/dists/stable/InRelease"])
            let deb = try await RawHTTP.send(port: larder.port, target: "/debian/test/\(hello.poolPath)")
            #expect(deb.status == 200, "\(deb.text)")
            #expect(deb.body == files[hello.poolPath]!.data)
        }
        await key.remove()
    }

    @Test("a restricted archive: the granted token's pool files are checked against the suites its own view holds; anonymous requests get nothing, even after the token fetched them")
    func restrictedArchive() async throws {
        let key = try await FixtureSigningKey.make()
        let (upstream, hello, _) = try await FixtureRegistry.debianPair(key: key)
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream(url: upstream.url + "/debian", setting: "upstreams.debian.test", name: "test", readers: ["ci"])]
        }
        try await larder.stopping(upstream) {
            let ci = [("Authorization", "Bearer \(try await larder.makeToken(.read, name: "ci"))")]
            #expect(try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease", headers: ci).status == 200)
            let deb = try await RawHTTP.send(port: larder.port, target: "/debian/test/\(hello.poolPath)", headers: ci)
            #expect(deb.status == 200, "\(deb.text)")
            for target in ["/debian/test/dists/stable/InRelease", "/debian/test/\(hello.poolPath)"] {
                let refused = try await RawHTTP.send(port: larder.port, target: target)
                #expect(refused.status == 404, "\(target): \(refused.status) \(refused.text)")
            }
        }
        await key.remove()
    }

    @Test("a blocked package version's pool file is refused with the rule's note; another package's is served")
    func poolRefusedByRule() async throws {
        let key = try await FixtureSigningKey.make()
        let (upstream, hello, other) = try await FixtureRegistry.debianPair(key: key)
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
        }
        try await larder.stopping(upstream) {
            try await RuleFilteringTests.block(larder, "pkg:deb/debian/larder-hello@1.0-1")
            #expect(try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease").status == 200)
            let refused = try await RawHTTP.send(port: larder.port, target: "/debian/test/\(hello.poolPath)")
            #expect(refused.status == 403 && refused.text.contains("test block"), "\(refused.text)")
            #expect(upstream.requests(to: "/debian/\(hello.poolPath)") == 0)
            #expect(try await RawHTTP.send(port: larder.port, target: "/debian/test/\(other.poolPath)").status == 200)
        }
        await key.remove()
    }

    @Test("a pool file whose bytes are not what the index lists, and an index that is not the one the Release lists, are refused")
    func refusals() async throws {
        let key = try await FixtureSigningKey.make()
        let (upstream, hello, other) = try await FixtureRegistry.debianPair(key: key)
        upstream.set("/debian/\(hello.poolPath)", body: ByteBuffer(string: "!<arch>\nnot the package the index lists"))
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
        }
        try await larder.stopping(upstream) {
            #expect(try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease").status == 200)
            // Another Packages.gz than the one the Release lists: the pool file cannot be checked.
            let index = upstream.resource("/debian/dists/stable/main/binary-amd64/Packages.gz")!
            upstream.set("/debian/dists/stable/main/binary-amd64/Packages.gz", body: ByteBuffer(bytes: [0x1f, 0x8b] + Array(repeating: 0, count: 30)))
            let unlisted = try await RawHTTP.send(port: larder.port, target: "/debian/test/\(other.poolPath)")
            #expect(unlisted.status == 502, "\(unlisted.text)")
            #expect(unlisted.text.contains("not the file the suite's Release lists"), "\(unlisted.text)")
            #expect(upstream.requests(to: "/debian/\(other.poolPath)") == 0)

            upstream.set("/debian/dists/stable/main/binary-amd64/Packages.gz", index)
            let tampered = try? await RawHTTP.send(port: larder.port, target: "/debian/test/\(hello.poolPath)")
            #expect(tampered == nil || tampered?.status == 502 || tampered?.body.count != 40)
            #expect(try await larder.engine.lookup("debian/test/\(hello.poolPath)") == nil)
            #expect(try await RawHTTP.send(port: larder.port, target: "/debian/test/\(other.poolPath)").status == 200)
        }
        await key.remove()
    }

    @Test("by-hash files are checked against their name; a login page never replaces a stored InRelease; bad paths and names are refused")
    func byHashAndBadInput() async throws {
        let key = try await FixtureSigningKey.make()
        let upstream = try await FixtureRegistry()
        try await upstream.publishDebianArchive(packages: [FixtureDebianPackage(name: "larder-hello", version: "1.0-1")], key: key)
        let index = Data(upstream.resource("/debian/dists/stable/main/binary-amd64/Packages.gz")!.body.readableBytesView)
        let hex = PackageFile(filename: "Packages.gz", data: index).sha256
        let byHash = "dists/stable/main/binary-amd64/by-hash/SHA256"
        upstream.set("/debian/\(byHash)/\(hex)", body: ByteBuffer(data: index))
        upstream.set("/debian/\(byHash)/\(String(repeating: "0", count: 64))", body: ByteBuffer(data: index))
        let larder = try await TestLarder {
            $0.upstreams["debian"] = [try Upstream.debianFixture(upstream)]
            $0.engine.metadataTTL = .zero
        }
        try await larder.stopping(upstream) {
            let good = try await RawHTTP.send(port: larder.port, target: "/debian/test/\(byHash)/\(hex)")
            #expect(good.status == 200)
            #expect(good.body == index)
            let lying = try? await RawHTTP.send(port: larder.port, target: "/debian/test/\(byHash)/\(String(repeating: "0", count: 64))")
            #expect(lying == nil || lying?.status == 502 || lying?.body != index)

            let inRelease = try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease")
            upstream.set("/debian/dists/stable/InRelease", body: ByteBuffer(string: "<html>Please log in</html>"), contentType: "text/html")
            let kept = try await RawHTTP.send(port: larder.port, target: "/debian/test/dists/stable/InRelease")
            #expect(kept.status == 200)
            #expect(kept.body == inRelease.body)

            for (target, status, fragment) in [
                ("/debian/test/dists/../pool/x.deb", 400, "'..'"),
                ("/debian/test/pool/main%2Fx.deb", 400, "encoded slash"),
                ("/debian/other/dists/stable/InRelease", 404, "upstreams.debian.other"),
                ("/debian/test/project/trace", 404, "dists/"),
                ("/debian/test/\(byHash.replacingOccurrences(of: "SHA256", with: "SHA3"))/\(hex)", 400, "by-hash"),
            ] {
                let answer = try await RawHTTP.send(port: larder.port, target: target)
                #expect(answer.status == status, "\(target): \(answer.text)")
                #expect(answer.text.contains(fragment), "\(target): \(answer.text)")
            }
        }
        let unconfigured = try await TestLarder()
        let answer = try await RawHTTP.send(port: unconfigured.port, target: "/debian/test/dists/stable/InRelease")
        #expect(answer.status == 503)
        #expect(answer.text.contains("upstreams.debian"))
        await unconfigured.stop()
        await key.remove()
    }
}
