import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Testing

/// Reads an answer's body a piece at a time, so a test can look at what has arrived while the
/// download behind it is still running.
final class BodyReader {
    private var iterator: ByteChunks.AsyncIterator
    /// Everything read so far.
    private(set) var received = Data()

    init(_ response: EngineResponse) throws {
        guard case .stream(let chunks) = response.body else { throw LarderError(.internalError, "the answer is not streamed") }
        iterator = chunks.makeAsyncIterator()
    }

    /// Reads until at least `count` bytes have arrived in all (or the body ends).
    func read(atLeast count: Int) async throws {
        while received.count < count, let chunk = try await iterator.next() { received.append(contentsOf: chunk.readableBytesView) }
    }

    /// Reads to the end.
    func rest() async throws {
        while let chunk = try await iterator.next() { received.append(contentsOf: chunk.readableBytesView) }
    }
}

/// The engine's promises about bytes in flight: they reach every reader as they arrive, and the
/// last of them only once the digest is known to match.
@Suite("Engine: streaming")
struct EngineStreamingTests {
    /// Opens `gate` after 30 s, recording that `what` did not happen by then: a broken promise
    /// fails the test instead of hanging it.
    static func watchdog(_ gate: FixtureGate, _ what: String) -> Task<Void, Never> {
        Task {
            guard (try? await Task.sleep(for: .seconds(30))) != nil else { return }
            Issue.record("\(what) within 30 seconds")
            gate.open()
        }
    }

    @Test("readers that join a running download receive its bytes before it completes")
    func joinedReadersStream() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let data = payload(2 << 20)
            let half = 1 << 20
            let gate = FixtureGate()
            registry.set("/j.bin", body: ByteBuffer(bytes: data), fault: .pauseAfter(half, gate))
            let harness = try EngineHarness()
            let route = harness.artifact(registry.url, "/j.bin", integrity: sha256Integrity(data))
            let first = try BodyReader(await harness.get(route))
            await gate.arrivals(1)  // upstream has sent the first half and stalls
            let second = try BodyReader(await harness.get(route))  // joins the running download
            let watchdog = Self.watchdog(gate, "readers got no bytes of the first half while the download stalled")
            // All of the first half but the byte held back, while upstream still has not finished.
            try await first.read(atLeast: half - 1)
            try await second.read(atLeast: half - 1)
            watchdog.cancel()
            #expect(first.received.count == half - 1)
            #expect(second.received.count == half - 1)
            #expect(harness.engine.activeFills == 1)
            gate.open()
            try await first.rest()
            try await second.rest()
            #expect(first.received == data)
            #expect(second.received == data)
            #expect(registry.requests(to: "/j.bin") == 1)
        }
    }

    @Test("the last byte is held back until the digest matches: a lying upstream never delivers a whole body")
    func lastByteHeldBack() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let promised = payload(1000, seed: 1)
            let served = payload(1000, seed: 2)
            let gate = FixtureGate()
            // Every byte is sent at once; only the end of the answer waits at the gate.
            registry.set("/h.bin", body: ByteBuffer(bytes: served), fault: .pauseAfter(served.count, gate))
            let harness = try EngineHarness()
            let route = harness.artifact(registry.url, "/h.bin", integrity: sha256Integrity(promised))
            let reader = try BodyReader(await harness.get(route))
            let watchdog = Self.watchdog(gate, "the reader got nothing")
            try await reader.read(atLeast: served.count - 1)
            watchdog.cancel()
            #expect(reader.received.count == served.count - 1, "the whole body reached the reader before its digest was checked")
            gate.open()
            await #expect(throws: LarderError.self) { try await reader.rest() }
            #expect(reader.received.count == served.count - 1)
            #expect(try await harness.engine.lookup(route.key) == nil)
        }
    }
}
