import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Testing

/// Every download has bounds: size and total time, per upstream.
@Suite("Engine: bounded downloads")
struct EngineLimitsTests {
    @Test("an artifact larger than its upstream's max_artifact_mb is refused, naming the setting, and nothing is stored")
    func tooLarge() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/big.bin", body: ByteBuffer(bytes: payload(5_000)))
            let harness = try EngineHarness()
            let small = try Upstream(url: upstream.url, setting: "upstreams.generic[0]", maxArtifactBytes: 4_000)
            let response = await harness.get(harness.artifact([small], "/big.bin"))
            #expect(response.status == 502)
            #expect(try await String(decoding: collect(response), as: UTF8.self).contains("upstreams.generic[0].max_artifact_mb"))
            #expect(harness.storedBlobs().isEmpty && harness.stagingFiles().isEmpty)
        }
    }

    @Test("a download that takes longer than its upstream's max_fill_seconds is cut off, though bytes keep coming")
    func tooSlow() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/slow.bin", body: ByteBuffer(bytes: payload(100_000)), fault: .trickle(pieces: 50, pause: .milliseconds(40)))
            let harness = try EngineHarness()
            let hurried = try Upstream(url: upstream.url, setting: "upstreams.generic[0]", maxFillDuration: .milliseconds(300))
            let error = try await #require(throws: LarderError.self) { try await harness.engine.ensureArtifact(harness.artifact([hurried], "/slow.bin")) }
            #expect(error.kind == .upstreamTimeout)
            #expect(error.message.contains("max_fill_seconds"))
            #expect(harness.storedBlobs().isEmpty && harness.stagingFiles().isEmpty)
        }
    }
}
