import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Synchronization
import Testing

@Suite("Engine: several upstreams, credentials, challenges, TLS")
struct EngineUpstreamTests {
    @Test("upstreams are tried in order: a 404 or an unreachable one moves on, and the entry records where it came from")
    func order() async throws {
        let first = try await FixtureRegistry()
        let second = try await FixtureRegistry()
        let stopped = try await FixtureRegistry()
        await stopped.stop()
        try await stopping(first, second) {
            let data = payload(20_000)
            second.set("/lib/a.jar", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness()

            let route = harness.artifact([upstream(stopped.url), upstream(first.url), upstream(second.url)], "/lib/a.jar", integrity: sha256Integrity(data))
            let response = await harness.get(route)
            #expect(response.status == 200)
            #expect(try await collect(response) == data)
            #expect(first.requests(to: "/lib/a.jar") == 1)
            let entry = try #require(try await harness.engine.lookup(route.key))
            #expect(entry.upstream == second.url)
            #expect(try await harness.index.entry(forKey: route.key)?.upstream == second.url)

            // The private one gets the file too: the first that has it wins from now on for new keys.
            first.set("/lib/b.jar", body: ByteBuffer(bytes: data))
            second.set("/lib/b.jar", body: ByteBuffer(bytes: payload(10, seed: 9)))
            let both = harness.artifact([upstream(first.url), upstream(second.url)], "/lib/b.jar")
            #expect(try await collect(await harness.get(both)) == data)
            #expect(second.requests(to: "/lib/b.jar") == 0)
        }
    }

    @Test("when no upstream has it: 404 if all said so, 502 naming them if one could not be asked")
    func noneHasIt() async throws {
        let first = try await FixtureRegistry()
        let second = try await FixtureRegistry()
        try await stopping(first) {
            let harness = try EngineHarness()
            let missing = await harness.get(harness.artifact([upstream(first.url), upstream(second.url)], "/nope.jar"))
            #expect(missing.status == 404)
            #expect(try await String(decoding: collect(missing), as: UTF8.self).contains(second.url))

            await second.stop()
            let down = await harness.get(harness.artifact([upstream(first.url), upstream(second.url)], "/nope2.jar"))
            #expect(down.status == 502)
            let text = try await String(decoding: collect(down), as: UTF8.self)
            #expect(text.contains(first.url) && text.contains(second.url))
        }
    }

    @Test("metadata revalidates with the upstream it came from; earlier upstreams are asked plainly; all down serves stale")
    func metadataOrder() async throws {
        let first = try await FixtureRegistry()
        let second = try await FixtureRegistry()
        second.set("/index.json", body: ByteBuffer(string: "{\"v\":1}"), contentType: "application/json", etag: "\"v1\"")
        let harness = try EngineHarness(ttl: .seconds(0))
        let route = harness.document([upstream(first.url), upstream(second.url)], "/index.json")
        #expect(try await collect(await harness.get(route)) == Data("{\"v\":1}".utf8))
        let again = await harness.get(route)
        #expect(again.header("X-Larder-Cache") == "HIT")
        #expect(second.received.last?.headers["if-none-match"] == "\"v1\"")
        #expect(first.received.allSatisfy { $0.headers["if-none-match"] == nil })
        #expect(second.requests(to: "/index.json") == 2)

        await first.stop()
        await second.stop()
        let stale = await harness.get(route)
        #expect(stale.header("X-Larder-Cache") == "STALE")
        #expect(try await collect(stale) == Data("{\"v\":1}".utf8))
    }

    @Test("a private upstream's credentials reach it alone: not the public one, not a host it redirects to")
    func credentialsStayPrivate() async throws {
        let privateRepo = try await FixtureRegistry()
        let publicRepo = try await FixtureRegistry()
        try await stopping(privateRepo, publicRepo) {
            privateRepo.protect(.basic("/", user: "ci", password: "s3cret"))
            let secretBytes = payload(1_000, seed: 3)
            let openBytes = payload(1_000, seed: 4)
            privateRepo.set("/internal.jar", body: ByteBuffer(bytes: secretBytes))
            privateRepo.set("/moved.jar", .redirect("\(publicRepo.url)/elsewhere.jar"))
            publicRepo.set("/open.jar", body: ByteBuffer(bytes: openBytes))
            publicRepo.set("/elsewhere.jar", body: ByteBuffer(bytes: openBytes))
            let harness = try EngineHarness()
            let upstreams = [upstream(privateRepo.url, credentials: .basic(username: "ci", password: "s3cret")), upstream(publicRepo.url)]

            let fromPrivate = await harness.get(harness.artifact(upstreams, "/internal.jar"))
            #expect(fromPrivate.status == 200)
            #expect(try await collect(fromPrivate) == secretBytes)
            #expect(!fromPrivate.headers.contains { $0.1.contains("s3cret") || $0.0.lowercased() == "authorization" })
            #expect(try await collect(await harness.get(harness.artifact(upstreams, "/open.jar"))) == openBytes)
            #expect(try await collect(await harness.get(harness.artifact(upstreams, "/moved.jar"))) == openBytes)
            #expect(privateRepo.received.allSatisfy { $0.headers["authorization"] != nil })
            #expect(publicRepo.received.count == 2)
            #expect(publicRepo.received.allSatisfy { $0.headers["authorization"] == nil })

            // Wrong credentials: a clear error, not a silent fall-through to the public upstream.
            let wrong = [upstream(privateRepo.url, credentials: .basic(username: "ci", password: "nope")), upstream(publicRepo.url)]
            let refused = await harness.get(harness.artifact(wrong, "/internal.jar", key: "test/wrong"))
            #expect(refused.status == 502)
            #expect(try await String(decoding: collect(refused), as: UTF8.self).contains("credentials"))
        }
    }

    /// A challenge handler that fetches tokens from the fixture's `/token` endpoint.
    struct TokenHandler: UpstreamChallengeHandler {
        let lifetime: Duration?
        let handshakes = Counter()
        func tokenKey(for request: UpstreamRequest) -> String? { "all" }
        func respond(to challenge: [AuthChallenge], for request: UpstreamRequest, client: UpstreamClient) async throws(LarderError) -> UpstreamToken? {
            guard let bearer = challenge.first(where: { $0.scheme == "bearer" }), let realm = bearer.parameters["realm"] else { return nil }
            handshakes.increment()
            let response = try await client.send(UpstreamRequest(url: realm + "?scope=" + (bearer.parameters["scope"] ?? "")))
            let token = String(buffer: try await response.body.collect(upTo: 1024))
            return UpstreamToken(authorization: "Bearer \(token)", lifetime: lifetime)
        }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    @Test("a 401 challenge runs the adapter's handshake once; the token is reused until it expires")
    func challengeHandshake() async throws {
        let registry = try await FixtureRegistry()
        try await stopping(registry) {
            let issued = Counter()
            registry.handle("/token") { _ in
                issued.increment()
                return .init(body: ByteBuffer(string: "token-\(issued.count)"), contentType: "text/plain")
            }
            registry.protect(.custom("/v2/", challenge: "Bearer realm=\"\(registry.url)/token\",scope=\"pull\"") { $0.headers["authorization"]?.hasPrefix("Bearer token-") == true })
            for name in ["a", "b", "c", "d"] { registry.set("/v2/\(name)", body: ByteBuffer(string: name)) }
            let harness = try EngineHarness()

            let lasting = TokenHandler(lifetime: .seconds(600))
            var guarded = upstream(registry.url)
            guarded.challengeHandler = lasting
            #expect(try await collect(await harness.get(harness.artifact([guarded], "/v2/a"))) == Data("a".utf8))
            #expect(try await collect(await harness.get(harness.artifact([guarded], "/v2/b"))) == Data("b".utf8))
            #expect(lasting.handshakes.count == 1)
            #expect(registry.requests(to: "/v2/b") == 1)  // sent with the cached token at once

            // A token that has expired is not sent; the next challenge gets a new one.
            let expired = TokenHandler(lifetime: .zero)
            var shortLived = upstream(registry.url + "/v2")  // another upstream: tokens are kept per upstream
            shortLived.challengeHandler = expired
            #expect(try await collect(await harness.get(harness.artifact([shortLived], "/c"))) == Data("c".utf8))
            #expect(try await collect(await harness.get(harness.artifact([shortLived], "/d"))) == Data("d".utf8))
            #expect(expired.handshakes.count == 2)
            #expect(registry.requests(to: "/v2/d") == 2)

            // Without a handler the 401 is an honest upstream failure.
            let plain = await harness.get(harness.artifact([upstream(registry.url)], "/v2/a", key: "test/plain"))
            #expect(plain.status == 502)
        }
    }

    @Test("https upstreams are verified: an unknown CA fails clearly; a configured CA file is trusted")
    func tls() async throws {
        let certificates = try await TestCertificates.make()
        let registry = try await FixtureRegistry(tls: try certificates.serverConfiguration())
        try await stopping(registry) {
            registry.set("/x.bin", body: ByteBuffer(string: "over tls"))
            let untrusting = try EngineHarness()
            let refused = await untrusting.get(untrusting.artifact([upstream(registry.url)], "/x.bin"))
            #expect(refused.status == 502)
            #expect(try await String(decoding: collect(refused), as: UTF8.self).contains("upstream_ca_file"))

            let trust = UpstreamTrust(additionalCAFiles: [certificates.caFile])
            try trust.validate()
            let trusting = try EngineHarness(trust: trust)
            #expect(try await collect(await trusting.get(trusting.artifact([upstream(registry.url)], "/x.bin"))) == Data("over tls".utf8))
            #expect(throws: LarderError.self) { try UpstreamTrust(additionalCAFiles: ["/no/such.pem"]).validate() }
        }
    }
}
