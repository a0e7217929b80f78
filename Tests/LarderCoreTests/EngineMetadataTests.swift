import Foundation
import LarderCore
import LarderTesting
import NIOCore
import Testing

@Suite("Engine: metadata")
struct EngineMetadataTests {
    @Test("within the TTL metadata is served from the cache without asking upstream")
    func freshWithinTTL() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/meta", body: ByteBuffer(string: "v1"), contentType: "text/plain", etag: "\"one\"")
            let harness = try EngineHarness(ttl: .seconds(300))
            let route = harness.metadata(upstream.url, "/meta")
            let first = await harness.get(route)
            #expect(first.header("X-Larder-Cache") == "MISS")
            #expect(String(decoding: try await collect(first), as: UTF8.self) == "v1")
            upstream.set("/meta", body: ByteBuffer(string: "v2"), contentType: "text/plain", etag: "\"two\"")
            let second = await harness.get(route)
            #expect(second.header("X-Larder-Cache") == "HIT")
            #expect(String(decoding: try await collect(second), as: UTF8.self) == "v1")
            #expect(upstream.requests(to: "/meta") == 1)
        }
    }

    @Test("past the TTL metadata is revalidated with If-None-Match; 304 keeps it, 200 replaces it")
    func revalidation() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/meta", body: ByteBuffer(string: "v1"), contentType: "text/plain", etag: "\"one\"")
            let harness = try EngineHarness(ttl: .seconds(0))
            let route = harness.metadata(upstream.url, "/meta")
            _ = try await collect(await harness.get(route))
            let revalidated = await harness.get(route)
            #expect(revalidated.header("X-Larder-Cache") == "HIT")
            #expect(String(decoding: try await collect(revalidated), as: UTF8.self) == "v1")
            #expect(upstream.requests(to: "/meta") == 2)

            upstream.set("/meta", body: ByteBuffer(string: "v2"), contentType: "text/plain", etag: "\"two\"")
            let replaced = await harness.get(route)
            #expect(replaced.header("X-Larder-Cache") == "MISS")
            #expect(String(decoding: try await collect(replaced), as: UTF8.self) == "v2")
            // The superseded document's blob is deleted once nothing refers to it.
            #expect(harness.storedBlobs().count == 1)
        }
    }

    @Test("upstream down past the TTL: the stale copy is served with Warning 110")
    func staleWhenUpstreamDown() async throws {
        let upstream = try await FixtureRegistry()
        upstream.set("/meta", body: ByteBuffer(string: "kept"), contentType: "text/plain")
        let harness = try EngineHarness(ttl: .seconds(0))
        let route = harness.metadata(upstream.url, "/meta")
        _ = try await collect(await harness.get(route))
        await upstream.stop()
        let stale = await harness.get(route)
        #expect(stale.status == 200)
        #expect(stale.header("Warning") == "110 - \"Response is Stale\"")
        #expect(String(decoding: try await collect(stale), as: UTF8.self) == "kept")
        let stats = try await harness.engine.currentStats()
        #expect(stats["generic"]?.staleServed == 1)
    }

    @Test("upstream answering 500 past the TTL also serves stale; with nothing cached it is 502")
    func upstreamErrorStatus() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/meta", body: ByteBuffer(string: "kept"), contentType: "text/plain")
            let harness = try EngineHarness(ttl: .seconds(0))
            let route = harness.metadata(upstream.url, "/meta")
            _ = try await collect(await harness.get(route))
            upstream.set("/meta", FixtureRegistry.Resource(status: 500, body: ByteBuffer(string: "boom")))
            let stale = await harness.get(route)
            #expect(stale.status == 200)
            #expect(stale.header("Warning") != nil)

            upstream.set("/other", FixtureRegistry.Resource(status: 500, body: ByteBuffer(string: "boom")))
            let failed = await harness.get(harness.metadata(upstream.url, "/other"))
            #expect(failed.status == 502)
        }
    }

    @Test("upstream 404 on revalidation removes the entry and answers 404")
    func goneUpstream() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/meta", body: ByteBuffer(string: "v1"), contentType: "text/plain")
            let harness = try EngineHarness(ttl: .seconds(0))
            let route = harness.metadata(upstream.url, "/meta")
            _ = try await collect(await harness.get(route))
            upstream.remove("/meta")
            #expect(await harness.get(route).status == 404)
            #expect(try await harness.engine.lookup(route.key) == nil)
        }
    }

    @Test("clients' own conditional requests on metadata get 304")
    func clientConditional() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/meta", body: ByteBuffer(string: "v1"), contentType: "text/plain")
            let harness = try EngineHarness()
            let route = harness.metadata(upstream.url, "/meta")
            let first = await harness.get(route)
            let etag = try #require(first.header("ETag"))
            #expect(await harness.get(route, headers: ["if-none-match": etag]).status == 304)
            #expect(await harness.get(route, headers: ["if-none-match": "\"nope\""]).status == 200)
            let head = await harness.get(route, method: .head)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "2")
        }
    }

    @Test("concurrent revalidations of one key make one upstream request")
    func singleFlightMetadata() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            upstream.set("/meta", body: ByteBuffer(string: "v1"), contentType: "text/plain", fault: .delay(.milliseconds(300)))
            let harness = try EngineHarness()
            let route = harness.metadata(upstream.url, "/meta")
            await withTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { await harness.get(route).status } }
                for await status in group { #expect(status == 200) }
            }
            #expect(upstream.requests(to: "/meta") == 1)
        }
    }

    @Test("counters reach the index and survive a new engine on the same store")
    func statsPersist() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(4096)
            upstream.set("/s.bin", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/s.bin", integrity: sha256Integrity(data))
            _ = try await collect(await harness.get(route))
            _ = try await collect(await harness.get(route))
            await harness.engine.flushStats()
            let reopened = try EngineHarness(directory: harness.directory)
            let stats = try #require(try await reopened.engine.currentStats()["generic"])
            #expect(stats.hits == 1)
            #expect(stats.misses == 1)
            #expect(stats.bytesFetched == Int64(data.count))
            #expect(stats.bytesServedFromCache == Int64(data.count))
            #expect(stats.objects == 1)
            #expect(stats.storedBytes == Int64(data.count))
        }
    }
}
