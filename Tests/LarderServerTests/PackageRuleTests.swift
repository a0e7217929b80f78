import Foundation
import LarderCore
import LarderPolicy
@testable import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Declarations, blocks and revocations over HTTP: what they refuse, what metadata lists, and
/// the API that manages them.
@Suite("Package rules")
struct PackageRuleTests {
    @Test("the OpenAPI document is valid JSON describing every rule collection the API serves, each with its list, make, read, amend and remove operations")
    func openAPICollections() throws {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        for collection in PolicyAPI.collections.keys {
            #expect(Set(paths["/api/\(collection)"]?.keys.map { $0 } ?? []) == ["get", "post"], "\(collection)")
            #expect(Set(paths["/api/\(collection)/{id}"]?.keys.map { $0 } ?? []) == ["parameters", "get", "patch", "delete"], "\(collection)")
        }
        let revocation = ((((paths["/api/revocations"]?["post"] as? [String: Any])?["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: String]
        #expect(revocation?["$ref"] == "#/components/schemas/RevocationRequest")
    }

    /// left-pad 1.3.0 and 1.4.0 (latest), and another package.
    static func upstream() async throws -> FixtureRegistry {
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "left-pad", versions: [
            ("1.3.0", PackageFile(filename: "left-pad-1.3.0.tgz", data: Data("tarball 1.3.0".utf8)), [:]),
            ("1.4.0", PackageFile(filename: "left-pad-1.4.0.tgz", data: Data("tarball 1.4.0".utf8)), [:]),
        ])
        upstream.publishNpm(name: "other", versions: [("2.0.0", PackageFile(filename: "other-2.0.0.tgz", data: Data("other".utf8)), [:])])
        return upstream
    }

    static func json(_ answer: RawHTTP.Answer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any], "\(answer.status) \(answer.text)")
    }

    static func post(_ larder: TestLarder, _ path: String, _ body: String, token: String?) async throws -> RawHTTP.Answer {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await RawHTTP.send(port: larder.port, method: "POST", target: path, headers: headers, body: Data(body.utf8))
    }

    /// The versions and dist-tags of `/npm/<name>` (the full document and the abbreviated one agree).
    static func listed(_ larder: TestLarder, _ name: String) async throws -> (versions: Set<String>, latest: String?) {
        var seen: [(Set<String>, String?)] = []
        for accept in ["application/json", "application/vnd.npm.install-v1+json"] {
            let answer = try await RawHTTP.send(port: larder.port, target: "/npm/\(name)", headers: [("Accept", accept)])
            let document = try json(answer)
            let versions = Set((document["versions"] as? [String: Any] ?? [:]).keys)
            let latest = (document["dist-tags"] as? [String: String])?["latest"]
            if accept == "application/json", let time = document["time"] as? [String: Any] {
                #expect(Set(time.keys).subtracting(["created", "modified"]).isSubset(of: versions), "time lists a hidden version: \(time.keys)")
            }
            seen.append((versions, latest))
        }
        #expect(seen[0].0 == seen[1].0 && seen[0].1 == seen[1].1)
        return seen[0]
    }

    @Test("declared-only: undeclared packages and versions get 403 saying how to declare; a declaration by API (write token) lets its version through, lists only it, and moves latest; amend, search, remove and the audit log")
    func declaredOnly() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.mode = .declaredOnly
        }
        try await larder.stopping(upstream) {
            let refused = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad")
            #expect(refused.status == 403)
            #expect(refused.text.contains("pkg:npm/left-pad is not declared") && refused.text.contains("larder declare 'pkg:npm/left-pad'"), "\(refused.text)")
            #expect(upstream.requests(to: "/left-pad") == 0)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz").status == 403)

            let declaration = #"{"purl": "pkg:npm/left-pad@1.3.0", "note": "used by the web build, ticket OPS-12"}"#
            #expect(try await Self.post(larder, "/api/declarations", declaration, token: nil).status == 401)
            let reader = try await larder.makeToken(.read, name: "reader")
            #expect(try await Self.post(larder, "/api/declarations", declaration, token: reader).status == 403)
            let writer = try await larder.makeToken(.write, name: "platform-team")
            let created = try await Self.post(larder, "/api/declarations", declaration, token: writer)
            #expect(created.status == 201, "\(created.text)")
            let schemas = try await OpenAPISchemas.load(port: larder.port)
            try schemas.check(try Self.json(created), against: "RuleAnswer")
            let rule = try #require(try Self.json(created)["rule"] as? [String: Any])
            let id = try #require(rule["id"] as? Int)
            #expect(rule["createdBy"] as? String == "platform-team" && rule["action"] as? String == "declare" && rule["name"] as? String == "left-pad")
            #expect(created.headers["location"] == "/api/declarations/\(id)")
            #expect(try await Self.post(larder, "/api/declarations", declaration, token: writer).status == 409)

            let listed = try await Self.listed(larder, "left-pad")
            #expect(listed.versions == ["1.3.0"] && listed.latest == "1.3.0")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz").text == "tarball 1.3.0")
            let undeclared = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.4.0.tgz")
            #expect(undeclared.status == 403 && undeclared.text.contains("pkg:npm/left-pad@1.4.0 is not declared"), "\(undeclared.text)")
            #expect(upstream.requests(to: "/left-pad/-/left-pad-1.4.0.tgz") == 0)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/other").status == 403)

            // A whole-package declaration (no version) lets every version through.
            #expect(try await Self.post(larder, "/api/declarations", #"{"purl": "pkg:npm/other", "note": "all of it"}"#, token: writer).status == 201)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/other/-/other-2.0.0.tgz").text == "other")

            let search = try Self.json(try await RawHTTP.send(port: larder.port, target: "/api/declarations?q=ops-12"))
            try schemas.check(search, against: "RuleList")
            #expect((search["rules"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
            let amended = try await RawHTTP.send(
                port: larder.port, method: "PATCH", target: "/api/declarations/\(id)", headers: [("Authorization", "Bearer \(writer)")], body: Data(#"{"note": "OPS-13"}"#.utf8))
            try schemas.check(try Self.json(amended), against: "PackageRule")
            let amendedNote = try Self.json(amended)["note"] as? String
            #expect(amended.status == 200 && amendedNote == "OPS-13")
            #expect(try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/api/declarations/\(id)", headers: [("Authorization", "Bearer \(writer)")]).status == 400)
            let removed = try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/api/declarations/\(id)?note=no%20longer%20used", headers: [("Authorization", "Bearer \(writer)")])
            #expect(removed.status == 200, "\(removed.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz").status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "/api/declarations/\(id)").status == 404)

            let auditLog = try Self.json(try await RawHTTP.send(port: larder.port, target: "/api/audit"))
            try schemas.check(auditLog, against: "AuditLog")
            let audit = try #require(auditLog["entries"] as? [[String: Any]])
            #expect(audit.count == 4)
            let forLeftPad = audit.filter { $0["ruleID"] as? Int == id }
            #expect(forLeftPad.map { $0["change"] as? String } == ["removed", "amended", "added"])
            #expect(forLeftPad.map { $0["note"] as? String } == ["no longer used", "OPS-13", "used by the web build, ticket OPS-12"])
            #expect(forLeftPad.allSatisfy { $0["actor"] as? String == "platform-team" && $0["packageURL"] as? String == "pkg:npm/left-pad@1.3.0" })
        }
    }

    @Test("declarations and blocks refuse bad input with 400 and change nothing: malformed and unknown package URLs, no note, oversized notes, unknown fields, bad JSON, bad ids")
    func badInput() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.mode = .declaredOnly
        }
        try await larder.stopping(upstream) {
            let admin = try await larder.makeToken(.admin, name: "admin")
            let bodies = [
                #"{"purl": "pkg:npm/left-pad@", "note": "x"}"#, #"{"purl": "npm/left-pad", "note": "x"}"#, #"{"purl": "pkg:/left-pad", "note": "x"}"#,
                #"{"purl": "pkg:npm/%zz", "note": "x"}"#, #"{"purl": "pkg:unknowneco/thing@1", "note": "x"}"#, #"{"purl": "pkg:npm/left-pad@1.3.0"}"#,
                #"{"purl": "pkg:npm/left-pad@1.3.0", "note": "   "}"#, #"{"purl": "pkg:npm/left-pad@1.3.0", "note": "\#(String(repeating: "n", count: 2_001))"}"#,
                #"{"purl": "pkg:npm/left-pad@1.3.0", "note": "x", "extra": 1}"#, #"{"purl": 7, "note": "x"}"#, "not json", "[]", "",
                #"{"purl": "pkg:npm/\#(String(repeating: "a", count: 2_100))", "note": "x"}"#,
            ]
            for body in bodies {
                let answer = try await Self.post(larder, "/api/declarations", body, token: admin)
                #expect(answer.status == 400, "\(body.prefix(80)) → \(answer.status) \(answer.text)")
            }
            #expect(try await Self.post(larder, "/api/revocations", #"{"purl": "pkg:npm/left-pad", "note": "no version"}"#, token: admin).status == 400)
            #expect(try await Self.post(larder, "/api/revocations", #"{"purl": "pkg:npm/left-pad@1.3.0", "note": "x", "purge": "yes"}"#, token: admin).status == 400)
            for target in ["/api/declarations/abc", "/api/declarations/-1", "/api/declarations/99999999999999999999"] {
                #expect(try await RawHTTP.send(port: larder.port, target: target).status == 400, "\(target)")
            }
            #expect(try await RawHTTP.send(port: larder.port, target: "/api/declarations/42").status == 404)
            #expect(try await RawHTTP.send(port: larder.port, target: "/api/audit?limit=0").status == 400)
            #expect(try await RawHTTP.send(port: larder.port, method: "PUT", target: "/api/declarations", headers: [("Authorization", "Bearer \(admin)")]).status == 405)
            let rules = try Self.json(try await RawHTTP.send(port: larder.port, target: "/api/declarations"))
            #expect((rules["rules"] as? [Any])?.isEmpty == true)
            #expect((try Self.json(try await RawHTTP.send(port: larder.port, target: "/api/audit"))["entries"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("revoking a cached version (admin only): its tarball answers 403 with the note, even on the fast path, it leaves the document and latest moves back; its file stays in quarantine until purged. A blocked package is refused whole")
    func revokeAndBlock() async throws {
        let upstream = try await Self.upstream()
        let larder = try await TestLarder { try $0.setUpstream("npm", upstream.url) }
        let tarball = "/npm/left-pad/-/left-pad-1.4.0.tgz"
        try await larder.stopping(upstream) {
            #expect(try await Self.listed(larder, "left-pad").latest == "1.4.0")
            for _ in 0..<3 { #expect(try await RawHTTP.send(port: larder.port, target: tarball).text == "tarball 1.4.0") }
            let revocation = #"{"purl": "pkg:npm/left-pad@1.4.0", "note": "CVE-2026-0001: malicious postinstall"}"#
            let writer = try await larder.makeToken(.write, name: "writer")
            #expect(try await Self.post(larder, "/api/revocations", revocation, token: writer).status == 403)
            let admin = try await larder.makeToken(.admin, name: "security")
            let revoked = try await Self.post(larder, "/api/revocations", revocation, token: admin)
            #expect(revoked.status == 201, "\(revoked.text)")
            try await OpenAPISchemas.load(port: larder.port).check(try Self.json(revoked), against: "RuleAnswer")
            let quarantined = try #require(try Self.json(revoked)["quarantined"] as? [[String: Any]])
            #expect(quarantined.map { $0["key"] as? String } == ["npm/tarball/left-pad/left-pad-1.4.0.tgz"])

            for _ in 0..<2 {
                let refused = try await RawHTTP.send(port: larder.port, target: tarball)
                #expect(refused.status == 403 && refused.text.contains("CVE-2026-0001: malicious postinstall") && refused.text.contains("revoked"), "\(refused.text)")
            }
            let listed = try await Self.listed(larder, "left-pad")
            #expect(listed.versions == ["1.3.0"] && listed.latest == "1.3.0")
            #expect(try Self.json(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/latest"))["version"] as? String == "1.3.0")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/1.4.0").status == 403)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/1.3.0").status == 200)
            #expect(try await larder.engine.lookup("npm/tarball/left-pad/left-pad-1.4.0.tgz") != nil, "the revoked file is kept in quarantine")

            let id = try #require((try Self.json(revoked)["rule"] as? [String: Any])?["id"] as? Int)
            #expect(try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/api/revocations/\(id)?note=false%20alarm", headers: [("Authorization", "Bearer \(admin)")]).status == 200)
            #expect(try await RawHTTP.send(port: larder.port, target: tarball).text == "tarball 1.4.0")
            #expect(upstream.requests(to: "/left-pad/-/left-pad-1.4.0.tgz") == 1)
            let purged = try await Self.post(larder, "/api/revocations", #"{"purl": "pkg:npm/left-pad@1.4.0", "note": "really bad", "purge": true}"#, token: admin)
            #expect((try Self.json(purged)["purged"] as? [[String: Any]])?.count == 1, "\(purged.text)")
            #expect(try await larder.engine.lookup("npm/tarball/left-pad/left-pad-1.4.0.tgz") == nil)
            #expect(try await RawHTTP.send(port: larder.port, target: tarball).status == 403)

            let blocked = try await Self.post(larder, "/api/blocks", #"{"purl": "pkg:npm/other", "note": "typosquat of another package"}"#, token: admin)
            #expect(blocked.status == 201)
            let refused = try await RawHTTP.send(port: larder.port, target: "/npm/other")
            #expect(refused.status == 403 && refused.text.contains("typosquat"), "\(refused.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/other/-/other-2.0.0.tgz").status == 403)
            #expect(upstream.requests(to: "/other") == 0)
            // A range block hides the versions it covers.
            #expect(try await Self.post(larder, "/api/blocks", #"{"purl": "pkg:npm/left-pad@>=1.3.0 <1.4.0", "note": "range"}"#, token: admin).status == 201)
            #expect(try await Self.listed(larder, "left-pad").versions.isEmpty)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz").status == 403)
        }
    }

    @Test("mirror jobs obey the rules: a blocked version, an undeclared package (declared-only) and a version in its cooldown are reported failed with the reason and never fetched; the allowed one is")
    func mirrorObeys() async throws {
        let upstream = try await Self.upstream()
        upstream.publishNpm(name: "young", versions: [("1.0.0", PackageFile(filename: "young-1.0.0.tgz", data: Data("young".utf8)), [:])], published: ["1.0.0": Date()])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.mode = .declaredOnly
            $0.mirrorAPI = true
            $0.cooldown.defaultAge = 3_600
        }
        try await larder.stopping(upstream) {
            let writer = try await larder.makeToken(.admin, name: "platform")
            for (path, purl) in [("/api/declarations", "pkg:npm/left-pad"), ("/api/blocks", "pkg:npm/left-pad@1.4.0"), ("/api/declarations", "pkg:npm/young")] {
                let body = try JSONSerialization.data(withJSONObject: ["purl": purl, "note": "mirror test"])
                #expect(try await Self.post(larder, path, String(decoding: body, as: UTF8.self), token: writer).status == 201)
            }
            // left-pad's versions are undated in this fixture: exempt them from the cooldown.
            #expect(try await Self.post(larder, "/api/exemptions", #"{"purl": "pkg:npm/left-pad", "note": "undated fixture"}"#, token: writer).status == 201)
            let job = #"{"purls": ["pkg:npm/left-pad@1.3.0", "pkg:npm/left-pad@1.4.0", "pkg:npm/other@2.0.0", "pkg:npm/young@1.0.0"]}"#
            let started = try await MirrorAPITests.post(larder, job)
            #expect(started.status == 202, "\(started.text)")
            let id = try #require(try MirrorAPITests.job(started)["id"] as? String)
            let done = try await MirrorAPITests.wait(larder, id) { ["done", "failed"].contains($0) }
            let errors = (done["errors"] as? [String] ?? []).joined(separator: "\n")
            #expect(errors.contains("left-pad@1.4.0 is blocked"), "\(errors)")
            #expect(errors.contains("pkg:npm/other is not declared"), "\(errors)")
            #expect(errors.contains("held back by the cooldown"), "\(errors)")
            #expect(upstream.requests(to: "/left-pad/-/left-pad-1.3.0.tgz") == 1)
            #expect(upstream.requests(to: "/left-pad/-/left-pad-1.4.0.tgz") == 0)
            #expect(upstream.requests(to: "/other") == 0)
            #expect(upstream.requests(to: "/young/-/young-1.0.0.tgz") == 0)
        }
    }

    @Test("the README's rule forms are accepted in every ecosystem, named as the routes name packages")
    func ruleForms() async throws {
        let larder = try await TestLarder()
        try await larder.stopping {
            let admin = try await larder.makeToken(.admin, name: "admin")
            let forms: [(String, String, String?)] = [
                ("pkg:npm/%40types/node@20.1.0", "@types/node", "20.1.0"), ("pkg:npm/lodash@<4.17.21", "lodash", "<4.17.21"),
                ("pkg:pypi/Foo_Bar@2.31.0", "foo-bar", "2.31.0"), ("pkg:pypi/urllib3@>=2,<2.2", "urllib3", ">=2,<2.2"),
                ("pkg:maven/org.apache.commons/commons-text@1.9", "org.apache.commons/commons-text", "1.9"), ("pkg:maven/org.example/lib@[1.0,2.0)", "org.example/lib", "[1.0,2.0)"),
                ("pkg:cargo/serde@1.0.200", "serde", "1.0.200"), ("pkg:golang/github.com/pkg/errors@v0.9.1", "github.com/pkg/errors", "v0.9.1"),
                ("pkg:gem/rails@7.1.0", "rails", "7.1.0"), ("pkg:composer/monolog/monolog@3.5.0", "monolog/monolog", "3.5.0"),
                ("pkg:nuget/Newtonsoft.Json@13.0.1", "newtonsoft.json", "13.0.1"),
                ("pkg:terraform/registry.terraform.io/hashicorp/aws@5.31.0", "registry.terraform.io/hashicorp/aws", "5.31.0"),
                ("pkg:terraform/hashicorp/aws@5.30.0", "registry.terraform.io/hashicorp/aws", "5.30.0"),
                ("pkg:deb/debian/curl@7.88.1-10", "curl", "7.88.1-10"),
            ]
            for (purl, name, versions) in forms {
                let body = try JSONSerialization.data(withJSONObject: ["purl": purl, "note": "README form"])
                let answer = try await Self.post(larder, "/api/blocks", String(decoding: body, as: UTF8.self), token: admin)
                let rule = try Self.json(answer)["rule"] as? [String: Any]
                #expect(answer.status == 201 && rule?["name"] as? String == name && rule?["versions"] as? String == versions, "\(purl): \(answer.text)")
            }
        }
    }
}
