import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Silent and oversized upstreams behind each infrastructure adapter: the engine's bounds
/// (`upstream_read_timeout`, `max_artifact_mb`) hold on every route, and nothing partial is stored.
@Suite("Infrastructure adapters: silent and oversized upstreams")
struct InfrastructureLimitsTests {
    /// An adapter's artifact: how Larder reaches the upstream, where the file is upstream, and
    /// the route and key it has in Larder.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var ecosystem: String
        var base: String
        var upstreamPath: String
        var target: String
        var key: String
        var prepare: @Sendable (FixtureRegistry) -> Void = { _ in }
    }

    static let blob = Data(repeating: 7, count: 5_000)
    static let digest = PackageFile(filename: "blob", data: blob).sha256

    static let cases: [Case] = [
        Case(description: "files", ecosystem: "files", base: "/releases", upstreamPath: "/releases/tool.bin", target: "/files/tools/tool.bin", key: "files/tools/tool.bin"),
        Case(description: "oci", ecosystem: "oci", base: "", upstreamPath: "/v2/team/app/blobs/sha256:\(digest)", target: "/v2/team/app/blobs/sha256:\(digest)", key: "oci/default/team/app/blobs/sha256:\(digest)"),
        Case(description: "debian", ecosystem: "debian", base: "/debian", upstreamPath: "/debian/dists/stable/main/binary-amd64/by-hash/SHA256/\(digest)",
             target: "/debian/test/dists/stable/main/binary-amd64/by-hash/SHA256/\(digest)", key: "debian/test/dists/stable/main/binary-amd64/by-hash/SHA256/\(digest)"),
        Case(description: "terraform", ecosystem: "terraform", base: "", upstreamPath: "/archives/net.tar.gz",
             target: "/terraform/modules/v1/registry.example/example/net/aws/1.0.0/archive.tar.gz", key: "terraform/registry.example/modules/example/net/aws/1.0.0/archive.tar.gz",
             prepare: { upstream in
                 upstream.publishTerraformDiscovery()
                 upstream.publishTerraformModule(namespace: "example", name: "net", system: "aws", version: "1.0.0", archive: PackageFile(filename: "net.tar.gz", data: Data()))
             }),
    ]

    /// Larder in front of `upstream` for the case's ecosystem; `readTimeout` bounds each wait
    /// for upstream (generous unless a test waits it out, so a loaded machine does not trip it).
    static func larder(_ testCase: Case, _ upstream: FixtureRegistry, maxArtifactBytes: Int64 = Upstream.defaultMaxArtifactBytes, readTimeout: Duration = .seconds(30)) async throws -> TestLarder {
        let name = testCase.ecosystem == "terraform" ? "registry.example" : testCase.ecosystem == "debian" ? "test" : testCase.ecosystem == "files" ? "tools" : "default"
        return try await TestLarder {
            $0.upstreams[testCase.ecosystem] = [try Upstream(
                url: upstream.url + testCase.base, setting: "upstreams.\(testCase.ecosystem).\(name)", name: name, maxArtifactBytes: maxArtifactBytes)]
            $0.timeouts.read = readTimeout
        }
    }

    @Test("an upstream that accepts and says nothing gets a 504 within the read timeout; nothing is stored", arguments: cases)
    func silent(_ testCase: Case) async throws {
        let upstream = try await FixtureRegistry()
        testCase.prepare(upstream)
        let gate = FixtureGate()
        upstream.set(testCase.upstreamPath, body: ByteBuffer(data: Self.blob), fault: .gate(gate))
        // Documents the route reads first are answered at once; only the file is silent.
        let larder = try await Self.larder(testCase, upstream, readTimeout: .seconds(2))
        let answer = try await RawHTTP.send(port: larder.port, target: testCase.target)
        #expect(answer.status == 504, "\(answer.status) \(answer.text)")
        #expect(try await larder.engine.lookup(testCase.key) == nil)
        gate.open()
        await larder.stop()
        await upstream.stop()
    }

    @Test("a file larger than max_artifact_mb is refused, naming the setting; nothing is stored", arguments: cases)
    func oversized(_ testCase: Case) async throws {
        let upstream = try await FixtureRegistry()
        testCase.prepare(upstream)
        upstream.set(testCase.upstreamPath, body: ByteBuffer(data: Self.blob))
        let larder = try await Self.larder(testCase, upstream, maxArtifactBytes: 1_000)
        let answer = try await RawHTTP.send(port: larder.port, target: testCase.target)
        #expect(answer.status == 502, "\(answer.status) \(answer.text)")
        #expect(answer.text.contains("max_artifact_mb"), "\(answer.text)")
        #expect(try await larder.engine.lookup(testCase.key) == nil)
        await larder.stop()
        await upstream.stop()
    }
}
