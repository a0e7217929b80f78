import Foundation
import LarderCore
@testable import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Tokens, roles and anonymous access over HTTP.
@Suite("Access control")
struct AccessControlTests {
    static func upstream() async throws -> FixtureRegistry {
        let upstream = try await FixtureRegistry()
        let tarball = PackageFile(filename: "left-pad-1.3.0.tgz", data: Data("a tarball".utf8))
        upstream.publishNpm(name: "left-pad", versions: [("1.3.0", tarball, [:])])
        return upstream
    }

    static func basic(_ secret: String, user: String = "ci") -> (String, String) {
        ("Authorization", "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString())
    }

    @Test("anonymous none: a request without a token gets 401 with a challenge; read tokens work as bearer, basic password or bare secret; bad and revoked tokens get 401; a read token may not start mirror jobs (403), a write token may")
    func tokensAndRoles() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.anonymous = .some(nil)
            $0.mirrorAPI = true
        }
        try await larder.stopping(upstream) {
            #expect(try await RawHTTP.send(port: larder.port, target: "/health").status == 200)
            let refused = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad")
            #expect(refused.status == 401)
            #expect(refused.headers["www-authenticate"]?.hasPrefix("Basic realm=\"Larder\"") == true)
            #expect(upstream.requests(to: "/left-pad") == 0)
            #expect(try await RawHTTP.send(port: larder.port, target: "/stats").status == 401)

            let read = try await larder.makeToken(.read, name: "ci")
            for header in [("Authorization", "Bearer \(read)"), Self.basic(read), Self.basic(read, user: "anything"), ("Authorization", read), Self.basic("", user: read)] {
                let answer = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: [header])
                #expect(answer.status == 200, "\(header.1)")
            }
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz", headers: [Self.basic(read)]).text == "a tarball")

            for bad in [("Authorization", "Bearer larder_notatoken"), Self.basic("wrong"), ("Authorization", "Basic !!!not-base64"), ("Authorization", "Negotiate abc")] {
                let answer = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: [bad])
                #expect(answer.status == 401, "\(bad.1)")
            }
            let revoked = try await larder.makeToken(.read, name: "leaver")
            #expect(try await larder.revokeToken("leaver"))
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: [("Authorization", "Bearer \(revoked)")]).status == 401)

            let job = #"{"purls": ["pkg:npm/left-pad@1.3.0"]}"#
            let forbidden = try await RawHTTP.send(port: larder.port, method: "POST", target: "/api/mirror", headers: [("Authorization", "Bearer \(read)"), ("Content-Type", "application/json")], body: Data(job.utf8))
            #expect(forbidden.status == 403 && forbidden.text.contains("'ci' has the read role; this needs write"), "\(forbidden.text)")
            let accepted = try await RawHTTP.send(port: larder.port, method: "POST", target: "/api/mirror", headers: [try await larder.writeAuthorization(), ("Content-Type", "application/json")], body: Data(job.utf8))
            #expect(accepted.status == 202)
            #expect(try await RawHTTP.send(port: larder.port, target: "/api/mirror", headers: [("Authorization", "Bearer \(read)")]).status == 200)
        }
    }

    @Test("anonymous read (a loopback listener's default): reads need no token, but a bad token is refused even for a hit the fast path would answer")
    func anonymousRead() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        try await larder.stopping(upstream) {
            for _ in 0..<3 {
                #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz").status == 200)
            }
            let bad = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz", headers: [("Authorization", "Bearer larder_wrong")])
            #expect(bad.status == 401)
            let write = try await RawHTTP.send(port: larder.port, method: "POST", target: "/api/mirror", headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
            #expect(write.status == 401 || write.status == 404)
        }
    }

    @Test("the fast path clears tokens from memory: repeated hits with a known read token are answered there, on a listener without anonymous reads too; anonymous requests there, bad tokens and write-less roles still go to the router and are refused")
    func fastPathTokens() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.anonymous = .some(nil)
        }
        let tarball = "/npm/left-pad/-/left-pad-1.3.0.tgz"
        try await larder.stopping(upstream) {
            let fast = { larder.larder.fastHits?.servedCount.load(ordering: .relaxed) ?? -1 }
            let read = try await larder.makeToken(.read, name: "ci")
            for _ in 0..<3 {
                let answer = try await RawHTTP.send(port: larder.port, target: tarball, headers: [("Authorization", "Bearer \(read)")])
                #expect(answer.status == 200 && answer.text == "a tarball")
            }
            let before = fast()
            #expect(before > 0, "no repeated hit with a token was answered by the fast path")
            for _ in 0..<3 { #expect(try await RawHTTP.send(port: larder.port, target: tarball, headers: [Self.basic(read)]).status == 200) }
            #expect(fast() == before + 3)
            // Refused as before, and not by the fast path.
            #expect(try await RawHTTP.send(port: larder.port, target: tarball).status == 401)
            #expect(try await RawHTTP.send(port: larder.port, target: tarball, headers: [("Authorization", "Bearer larder_wrong")]).status == 401)
            #expect(try await RawHTTP.send(port: larder.port, target: tarball, headers: [("Authorization", "Bearer \(read)"), ("Authorization", "Bearer larder_wrong")]).status == 401)
            #expect(fast() == before + 3)
        }
    }

    @Test("populate writers: an anonymous or read-token miss is streamed, verified, and not stored; a write token's miss is stored, and everyone hits it afterwards")
    func populateWriters() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.populate = .writers
        }
        let tarball = "/npm/left-pad/-/left-pad-1.3.0.tgz"
        let upstreamTarball = "/left-pad/-/left-pad-1.3.0.tgz"
        try await larder.stopping(upstream) {
            let read = try await larder.makeToken(.read, name: "reader")
            for headers in [[], [("Authorization", "Bearer \(read)")], []] {
                let answer = try await RawHTTP.send(port: larder.port, target: tarball, headers: headers)
                #expect(answer.status == 200 && answer.text == "a tarball")
                #expect(answer.headers["x-larder-cache"] == "MISS")
            }
            #expect(upstream.requests(to: upstreamTarball) == 3)
            let written = try await RawHTTP.send(port: larder.port, target: tarball, headers: [try await larder.writeAuthorization()])
            #expect(written.status == 200 && written.text == "a tarball")
            #expect(upstream.requests(to: upstreamTarball) == 4)
            let hit = try await RawHTTP.send(port: larder.port, target: tarball)
            #expect(hit.text == "a tarball" && hit.headers["x-larder-cache"] == "HIT")
            #expect(upstream.requests(to: upstreamTarball) == 4)
        }
    }

    @Test("populate writers still verifies what it streams: a tarball that does not match the registry's digest fails for an anonymous reader too")
    func populateWritersVerifies() async throws {
        let upstream = try await FixtureRegistry()
        let tarball = PackageFile(filename: "left-pad-1.3.0.tgz", data: Data("a tarball".utf8))
        upstream.publishNpm(name: "left-pad", versions: [("1.3.0", tarball, [:])])
        upstream.set("/left-pad/-/left-pad-1.3.0.tgz", body: ByteBuffer(string: "a forged tarball"))
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.populate = .writers
        }
        try await larder.stopping(upstream) {
            let document = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad")
            #expect(document.status == 200)
            let answer = try? await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz")
            #expect(answer == nil || answer?.status == 502 || answer?.text != "a forged tarball")
        }
    }

    @Test("OCI routes answer a missing token with a Bearer challenge naming Larder's token exchange and the repository's scope; the exchange trades good credentials for a bearer token and refuses the rest")
    func ociChallenge() async throws {
        let larder = try await TestLarder {
            try $0.setUpstream("oci", "http://127.0.0.1:1")
            $0.anonymous = .some(nil)
        }
        let ping = try await RawHTTP.send(port: larder.port, target: "/v2/")
        #expect(ping.status == 401)
        #expect(ping.headers["www-authenticate"] == "Bearer realm=\"\(larder.url)/auth/token\",service=\"larder\"")
        #expect(ping.text.contains("UNAUTHORIZED"))
        let manifest = try await RawHTTP.send(port: larder.port, target: "/v2/team/app/manifests/1.0")
        #expect(manifest.headers["www-authenticate"] == "Bearer realm=\"\(larder.url)/auth/token\",service=\"larder\",scope=\"repository:team/app:pull\"")

        let secret = try await larder.makeToken(.read, name: "puller")
        let exchange = try await RawHTTP.send(port: larder.port, target: "/auth/token?service=larder&scope=repository:team/app:pull", headers: [Self.basic(secret, user: "puller")])
        #expect(exchange.status == 200)
        let token = try #require((try JSONSerialization.jsonObject(with: exchange.body) as? [String: Any])?["token"] as? String)
        #expect(try await RawHTTP.send(port: larder.port, target: "/v2/", headers: [("Authorization", "Bearer \(token)")]).status == 200)
        for headers in [[], [Self.basic("larder_wrong")], [("Authorization", "Basic ???")]] {
            let refused = try await RawHTTP.send(port: larder.port, target: "/auth/token?service=larder", headers: headers)
            #expect(refused.status == 401)
        }
        await larder.stop()
    }

    @Test("the anonymous setting: read or none, defaulting by the listener's address")
    func setting() throws {
        #expect(try LarderConfiguration.resolve(environment: ["LARDER_ANONYMOUS": "none"]).anonymous == .some(nil))
        #expect(try LarderConfiguration.resolve(flags: [("anonymous", "read")]).anonymous == .some(.read))
        #expect(throws: (any Error).self) { try LarderConfiguration.resolve(environment: ["LARDER_ANONYMOUS": "write"]) }
        #expect(try LarderConfiguration.resolve(environment: [:]).anonymous == nil)
    }

    @Test("what Authorization headers carry a secret")
    func presentedSecrets() {
        #expect(PresentedSecret.from(authorization: "Bearer larder_abc") == "larder_abc")
        #expect(PresentedSecret.from(authorization: "bearer  larder_abc ") == "larder_abc")
        #expect(PresentedSecret.from(authorization: "Basic " + Data("u:larder_abc".utf8).base64EncodedString()) == "larder_abc")
        #expect(PresentedSecret.from(authorization: "Basic " + Data("larder_abc:".utf8).base64EncodedString()) == "larder_abc")
        #expect(PresentedSecret.from(authorization: "larder_abc") == "larder_abc")
        #expect(PresentedSecret.from(authorization: "Basic %%%") == nil)
        #expect(PresentedSecret.from(authorization: "Basic " + Data("no-colon".utf8).base64EncodedString()) == nil)
        #expect(PresentedSecret.from(authorization: "Digest x") == nil)
        #expect(PresentedSecret.from(authorization: String(repeating: "a", count: 5000)) == nil)
        #expect(PresentedSecret.from(authorization: "") == nil)
    }
}
