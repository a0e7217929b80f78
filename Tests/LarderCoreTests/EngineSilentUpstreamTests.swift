import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Testing

/// A silent upstream costs clients the revalidation deadline, not the read timeout.
@Suite("Engine: silent upstreams")
struct EngineSilentUpstreamTests {
    @Test("expired metadata is served stale once the revalidation deadline passes; the revalidation finishes in the background")
    func staleWhileRevalidate() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/doc", body: ByteBuffer(string: "version one"), etag: "\"1\"")
            let harness = try EngineHarness(ttl: .seconds(0), readTimeout: .seconds(30)) { $0.revalidationDeadline = .milliseconds(200) }
            let route = harness.metadata(upstream.url, "/doc")
            #expect(try await collect(await harness.get(route)) == Data("version one".utf8))

            let gate = FixtureGate()
            upstream.set("/doc", FixtureRegistry.Resource(body: ByteBuffer(string: "version two"), etag: "\"2\"", fault: .gate(gate)))
            let started = ContinuousClock.now
            let stale = await harness.get(route)
            let waited = ContinuousClock.now - started
            #expect(stale.header("X-Larder-Cache") == "STALE")
            #expect(stale.header("Warning")?.contains("110") == true)
            #expect(try await collect(stale) == Data("version one".utf8))
            #expect(waited < .seconds(10), "served after \(waited), not after the deadline")  // the read timeout is 30 s
            await gate.arrivals(1)  // the revalidation reached upstream (on a busy machine, maybe after the deadline)
            #expect(gate.arrived == 1)

            // Nobody waits any more, but the revalidation goes on and stores what upstream sends.
            gate.open()
            for _ in 0..<200 where try await harness.engine.lookup(route.key)?.etag != "\"2\"" {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(try await harness.engine.lookup(route.key)?.etag == "\"2\"")
            #expect(try await collect(await harness.get(route)) == Data("version two".utf8))
        }
    }

    @Test("a host that timed out is backed off from like one that refused: the next requests fail at once")
    func backOffAfterTimeout() async throws {
        let upstream = try await FixtureRegistry()
        let gate = FixtureGate()
        try await stopping(upstream) {
            upstream.set("/silent.bin", FixtureRegistry.Resource(body: ByteBuffer(string: "never"), fault: .gate(gate)))
            upstream.set("/other.bin", body: ByteBuffer(string: "other"))
            let harness = try EngineHarness(readTimeout: .milliseconds(300))
            let first = await harness.get(harness.artifact(upstream.url, "/silent.bin", integrity: nil))
            #expect(first.status == 504)
            let second = await harness.get(harness.artifact(upstream.url, "/other.bin", integrity: nil))
            #expect(second.status == 502)
            #expect(try await String(decoding: collect(second), as: UTF8.self).contains("tries it again"))
            #expect(upstream.requests(to: "/other.bin") == 0)
            gate.open()  // lets the held answer end, so the fixture can stop
        }
    }
}
