import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Plain files through Larder with the real `curl`: a named upstream of release files on
/// loopback.
@Suite("curl through Larder's /files/")
struct FilesClientTests {
    static let tool = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })

    static func curl(_ arguments: [String], output: String) async throws -> (status: Int, headers: String) {
        let headers = output + ".headers"
        let status = try await Shell.run(
            ["curl", "-sS", "--path-as-is", "-o", output, "-D", headers, "-w", "%{http_code}"] + arguments, clean: true)
        return (Int(status.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
    }

    @Test("curl fetches a release file once, then from the cache, and with the upstream stopped; declared checksums are enforced")
    func curlWarmAndOffline() async throws {
        let upstream = try await FixtureRegistry()
        upstream.set("/releases/v1.0/tool-linux-amd64.tar.gz", body: ByteBuffer(bytes: Self.tool), contentType: "application/gzip")
        upstream.set("/releases/v1.0/liar.bin", body: ByteBuffer(string: "not what was promised"))
        let larder = try await TestLarder {
            $0.upstreams["files"] = [try Upstream(url: upstream.url + "/releases", setting: "upstreams.files.tools", name: "tools")]
        }
        let work = TestLarder.temporaryDirectory("curl-files")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let url = "\(larder.url)/files/tools/v1.0/tool-linux-amd64.tar.gz"
        let sha256 = PackageFile(filename: "tool", data: Self.tool).sha256

        let first = try await Self.curl([url], output: work + "/first")
        #expect(first.status == 200)
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/first")) == Self.tool)
        #expect(first.headers.contains("X-Larder-Cache: MISS"))
        let second = try await Self.curl(["-H", "X-Checksum-Sha256: \(sha256)", url], output: work + "/second")
        #expect(second.status == 200)
        #expect(second.headers.contains("X-Larder-Cache: HIT"))
        #expect(second.headers.contains("ETag: \"\(sha256)\""))
        let wrong = try await Self.curl(["-H", "X-Checksum-Sha256: \(String(repeating: "0", count: 64))", url], output: work + "/wrong")
        #expect(wrong.status == 409)
        #expect(try String(contentsOfFile: work + "/wrong", encoding: .utf8).contains(sha256))
        #expect(upstream.requests(to: "/releases/v1.0/tool-linux-amd64.tar.gz") == 1)

        // A file whose bytes do not match the declared checksum reaches curl as a cut transfer
        // (curl exits 18), never as a complete file, and is not stored.
        let liar = try? await Self.curl(["-H", "X-Checksum-Sha256: \(String(repeating: "a", count: 64))", "\(larder.url)/files/tools/v1.0/liar.bin"], output: work + "/liar")
        #expect(liar == nil || liar?.status != 200)
        #expect(try await larder.engine.lookup("files/tools/v1.0/liar.bin") == nil)

        for (target, status) in [("/files/tools/../releases/x", 400), ("/files/tools/v1.0%2Fx", 400), ("/files/other/x", 404), ("/files/tools", 404)] {
            #expect(try await Self.curl(["\(larder.url)\(target)"], output: work + "/bad").status == status, "\(target)")
        }

        // larder stats --files lists what is stored, with its size and SHA-256.
        let listing = try await Shell.run([CommandLineTests.binary, "stats", "--files", "--data-dir", larder.dataDirectory])
        #expect(listing.contains("\(sha256)  ") && listing.contains("tools/v1.0/tool-linux-amd64.tar.gz") && listing.contains("293.0 KiB"), "\(listing)")

        await upstream.stop()
        let offline = try await Self.curl([url], output: work + "/offline")
        #expect(offline.status == 200)
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/offline")) == Self.tool)
        await larder.stop()
    }

    @Test("a SHA-256 fixed in the configuration binds every download of its path: right, wrong, and against a client's own")
    func configuredChecksums() async throws {
        let upstream = try await FixtureRegistry()
        upstream.set("/releases/v1.0/tool-linux-amd64.tar.gz", body: ByteBuffer(bytes: Self.tool), contentType: "application/gzip")
        upstream.set("/releases/v1.0/swapped.bin", body: ByteBuffer(string: "not the file that was pinned"))
        let sha256 = PackageFile(filename: "tool", data: Self.tool).sha256
        let config = TestLarder.temporaryDirectory("files-pinned") + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: config) }
        try """
            upstreams:
              files:
                tools:
                  url: \(upstream.url)/releases
                  sha256:
                    v1.0/tool-linux-amd64.tar.gz: \(sha256)
                    v1.0/swapped.bin: \(String(repeating: "b", count: 64))
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let configured = try LarderConfiguration.resolve(file: config, environment: [:])
        let larder = try await TestLarder { $0.upstreams["files"] = configured.upstreams["files"] }
        let work = TestLarder.temporaryDirectory("curl-files")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try await larder.stopping(upstream) {
            let url = "\(larder.url)/files/tools/v1.0/tool-linux-amd64.tar.gz"
            #expect(try await Self.curl([url], output: work + "/tool").status == 200)
            let conflicting = try await Self.curl(["-H", "X-Checksum-Sha256: \(String(repeating: "c", count: 64))", url], output: work + "/conflict")
            #expect(conflicting.status == 409)
            #expect(try String(contentsOfFile: work + "/conflict", encoding: .utf8).contains("sha256"))
            let swapped = try? await Self.curl(["\(larder.url)/files/tools/v1.0/swapped.bin"], output: work + "/swapped")
            #expect(swapped == nil || swapped?.status != 200)
            #expect(try await larder.engine.lookup("files/tools/v1.0/swapped.bin") == nil)
        }
        let bad = TestLarder.temporaryDirectory("files-bad") + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try "upstreams:\n  files:\n    tools:\n      url: http://127.0.0.1:1/x\n      sha256: {a.bin: nothex}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect { try LarderConfiguration.resolve(file: bad, environment: [:]) } throws: { "\($0)".contains("upstreams.files.tools.sha256.a.bin") }
    }

    @Test("without a files upstream, /files/ says which setting to set")
    func notConfigured() async throws {
        let larder = try await TestLarder()
        let work = TestLarder.temporaryDirectory("curl-files")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let answer = try await Self.curl(["\(larder.url)/files/tools/x.tar.gz"], output: work + "/body")
        #expect(answer.status == 503)
        #expect(try String(contentsOfFile: work + "/body", encoding: .utf8).contains("upstreams.files"))
        await larder.stop()
    }
}
