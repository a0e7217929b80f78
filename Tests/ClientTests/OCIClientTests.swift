import Crypto
import Foundation
import LarderCore
import LarderTesting
import Testing

/// The real `skopeo` (Debian's package), with its own empty registries configuration and no
/// credentials, against Larder's `/v2/` in front of a fixture registry on loopback.
@Suite("skopeo through Larder", .serialized)
struct OCIClientTests {
    /// A gzipped layer tarball made with the real `tar` and `gzip`, and its diff ID.
    static func layer(_ files: [String: String], in directory: String) async throws -> (gzipped: Data, diffID: String) {
        let root = directory + "/layer-\(UUID().uuidString)"
        for (name, text) in files {
            let path = root + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        _ = try await Shell.run(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-cf", root + ".tar", "-C", root, "."])
        let tar = try Data(contentsOf: URL(fileURLWithPath: root + ".tar"))
        _ = try await Shell.run(["gzip", "-n", "-k", root + ".tar"])
        let gzipped = try Data(contentsOf: URL(fileURLWithPath: root + ".tar.gz"))
        return (gzipped, digest(tar))
    }

    static func digest(_ data: Data) -> String {
        "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Runs skopeo isolated from the machine's container configuration.
    static func skopeo(_ arguments: [String], home: String) async throws -> String {
        let registries = home + "/registries.conf"
        if !FileManager.default.fileExists(atPath: registries) { try Data().write(to: URL(fileURLWithPath: registries)) }
        return try await Shell.run(
            ["skopeo", "--insecure-policy", "--registries-conf", registries] + arguments,
            environment: ["HOME": home, "REGISTRY_AUTH_FILE": home + "/auth.json", "XDG_RUNTIME_DIR": home], clean: true, timeout: 120)
    }

    @Test("skopeo copies and inspects images by tag and by digest, single- and multi-architecture, warm and with the upstream stopped")
    func copyWarmThenOffline() async throws {
        let work = TestLarder.temporaryDirectory("skopeo")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let upstream = try await FixtureRegistry()
        let base = try await Self.layer(["etc/os-release": "ID=fixture\n"], in: work)
        let app = try await Self.layer(["app/run.sh": "#!/bin/sh\necho hello\n"], in: work)
        let single = upstream.publishOCIImage("team/app", layers: [base, app], tags: ["1.0"])
        let amd = upstream.publishOCIImage("team/multi", layers: [base], architecture: "amd64", tags: [])
        let arm = upstream.publishOCIImage("team/multi", layers: [app], architecture: "arm64", tags: [])
        upstream.publishOCIIndex("team/multi", images: [(amd, "amd64"), (arm, "arm64")], tags: ["2.0"])
        let larder = try await TestLarder {
            try $0.setUpstream("oci", upstream.url)
            $0.engine.metadataTTL = .seconds(0)
        }
        let registry = "127.0.0.1:\(larder.port)"

        func copyAll(_ round: String) async throws {
            let byTag = work + "/\(round)-tag"
            _ = try await Self.skopeo(["copy", "--src-tls-verify=false", "docker://\(registry)/team/app:1.0", "dir:\(byTag)"], home: work)
            let layerFile = byTag + "/" + String(Self.digest(app.gzipped).dropFirst(7))
            #expect(try Data(contentsOf: URL(fileURLWithPath: layerFile)) == app.gzipped, "\(round): the layer copied by tag")
            let byDigest = work + "/\(round)-digest"
            _ = try await Self.skopeo(["copy", "--src-tls-verify=false", "docker://\(registry)/team/app@\(single.digest)", "dir:\(byDigest)"], home: work)
            #expect(FileManager.default.fileExists(atPath: byDigest + "/manifest.json"))
            let armCopy = work + "/\(round)-arm"
            _ = try await Self.skopeo(["--override-arch", "arm64", "copy", "--src-tls-verify=false", "docker://\(registry)/team/multi:2.0", "dir:\(armCopy)"], home: work)
            #expect(FileManager.default.fileExists(atPath: armCopy + "/" + String(Self.digest(app.gzipped).dropFirst(7))), "\(round): the arm64 image chosen from the index")
            let inspected = try await Self.skopeo(["inspect", "--tls-verify=false", "docker://\(registry)/team/app:1.0"], home: work)
            let info = try #require(try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any])
            #expect(info["Architecture"] as? String == "amd64")
            #expect(info["Digest"] as? String == single.digest)
        }

        try await copyAll("warm")
        #expect(upstream.requests(to: "/v2/team/app/blobs/\(Self.digest(app.gzipped))", method: "GET") == 1)
        await upstream.stop()
        try await copyAll("offline")
        #expect(try await larder.engine.currentStats()["oci"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }
}
