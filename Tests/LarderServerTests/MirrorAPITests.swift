import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/api/mirror` over HTTP, in front of a fixture npm registry.
@Suite("Mirror API")
struct MirrorAPITests {
    /// Two npm packages: `fast` and `slow` (whose tarball trickles out over about 3 seconds).
    static func upstream(slowPause: Duration = .milliseconds(100)) async throws -> FixtureRegistry {
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "fast", versions: [("1.0.0", PackageFile(filename: "fast-1.0.0.tgz", data: Data(repeating: 1, count: 5000)), [:])])
        let slow = PackageFile(filename: "slow-1.0.0.tgz", data: Data(repeating: 2, count: 30_000))
        upstream.publishNpm(name: "slow", versions: [("1.0.0", slow, [:])])
        upstream.set("/slow/-/slow-1.0.0.tgz", body: ByteBuffer(bytes: slow.data), fault: .trickle(pieces: 30, pause: slowPause))
        return upstream
    }

    static func larder(_ upstream: FixtureRegistry, data: String? = nil, configure: (inout LarderConfiguration) -> Void = { _ in }) async throws -> TestLarder {
        try await TestLarder(dataDirectory: data) {
            try $0.setUpstream("npm", upstream.url)
            $0.mirrorAPI = true
            configure(&$0)
        }
    }

    static func post(_ larder: TestLarder, _ json: String, target: String = "/api/mirror") async throws -> RawHTTP.Answer {
        try await RawHTTP.send(port: larder.port, method: "POST", target: target, headers: [("Content-Type", "application/json"), try await larder.writeAuthorization()], body: Data(json.utf8))
    }

    static func job(_ answer: RawHTTP.Answer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
    }

    /// Polls a job until `done(state)` (at most 10 seconds).
    static func wait(_ larder: TestLarder, _ id: String, headers: [(String, String)] = [], until done: (String) -> Bool) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        for _ in 0..<200 {
            last = try Self.job(try await RawHTTP.send(port: larder.port, target: "/api/mirror/\(id)", headers: headers))
            if done(last["state"] as? String ?? "") { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("job \(id) did not reach the expected state within 10 seconds; last seen: \(last)")
        throw CancellationError()
    }

    @Test("the API is off unless mirror_api is set")
    func offByDefault() async throws {
        let larder = try await TestLarder()
        let answer = try await Self.post(larder, #"{"purls": ["pkg:npm/fast@1.0.0"]}"#)
        #expect(answer.status == 404)
        #expect(answer.text.contains("mirror_api"))
        await larder.stop()
    }

    @Test("bad requests get a 400 that says why, oversized ones a 413", arguments: [
        ("not json", "not valid JSON"), ("[1]", "JSON object"), ("{}", "name something"), (#"{"purls": "pkg:npm/x"}"#, "array"),
        (#"{"purls": ["pkg:npm"]}"#, "invalid package URLs"), (#"{"purlz": []}"#, "unknown field 'purlz'"), (#"{"sbom": {"name": "x"}}"#, "not a readable SBOM"),
        (#"{"lockfile": {"content": "hello"}}"#, "not a readable lockfile"), (#"{"lockfile": "x"}"#, "lockfile must be an object"),
        (#"{"purls": ["pkg:npm/fast"], "concurrency": 0}"#, "concurrency"),
        (#"{"purls": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}", "nests deeper than 256"),
        (#"{"sbom": {"bomFormat": "CycloneDX", "components": "# + String(repeating: "[{\"components\": ", count: 300) + "[]" + String(repeating: "}]", count: 300) + "}}", "nests deeper than 256"),
    ])
    func badRequests(body: String, fragment: String) async throws {
        let upstream = try await Self.upstream()
        let larder = try await Self.larder(upstream)
        let answer = try await Self.post(larder, body)
        #expect(answer.status == 400)
        #expect(answer.text.contains(fragment), "\(answer.text)")
        #expect(upstream.requestCounts.isEmpty)
        await larder.stop()
        await upstream.stop()
    }

    @Test("a request body over max_request_body is refused with 413")
    func tooLarge() async throws {
        let upstream = try await Self.upstream()
        let larder = try await Self.larder(upstream) { $0.maxRequestBody = 1024 }
        let answer = try await Self.post(larder, #"{"purls": ["\#(String(repeating: "x", count: 2000))"]}"#)
        #expect(answer.status == 413)
        await larder.stop()
        await upstream.stop()
    }

    @Test("a job from package URLs, an SBOM and a lockfile runs to done; it is listed and matches the OpenAPI document")
    func runsToDone() async throws {
        let upstream = try await Self.upstream(slowPause: .milliseconds(1))
        let larder = try await Self.larder(upstream)
        let answer = try await Self.post(larder, #"""
            {"purls": ["pkg:npm/fast@1.0.0", "pkg:cocoapods/Alamofire@5.9.0"],
             "sbom": {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "slow", "purl": "pkg:npm/slow@1.0.0"}]},
             "lockfile": {"filename": "requirements.txt", "content": "flask>=2\n"}}
            """#)
        #expect(answer.status == 202)
        let created = try Self.job(answer)
        let id = try #require(created["id"] as? String)
        #expect(answer.headers["location"] == "/api/mirror/\(id)")
        let spec = try await OpenAPISchemas.load(port: larder.port)
        try spec.check(created, against: "MirrorJob")

        let done = try await Self.wait(larder, id) { $0 == "done" }
        let progress = try #require(done["progress"] as? [String: Any])
        #expect(progress["total"] as? Int == 2)
        #expect(progress["fetched"] as? Int == 2)
        #expect(progress["notMirrorable"] as? Int == 2)  // cocoapods, and the unpinned flask
        try spec.check(done, against: "MirrorJob")

        let list = try Self.job(try await RawHTTP.send(port: larder.port, target: "/api/mirror"))
        try spec.check(list, against: "JobList")
        #expect((list["jobs"] as? [[String: Any]])?.first?["id"] as? String == id)
        try spec.check(try Self.job(try await RawHTTP.send(port: larder.port, target: "/stats")), against: "Stats")
        try spec.check(try Self.job(try await RawHTTP.send(port: larder.port, target: "/health")), against: "Health")
        let missing = try await RawHTTP.send(port: larder.port, target: "/api/mirror/nope")
        #expect(missing.status == 404)
        try spec.check(try Self.job(missing), against: "Error")
        await larder.stop()
        await upstream.stop()
    }

    @Test("generic package URLs mirror files below a configured files upstream, checked against their checksum")
    func genericFiles() async throws {
        let upstream = try await FixtureRegistry()
        let file = PackageFile(filename: "tool.tar.gz", data: Data(repeating: 9, count: 12_345))
        upstream.set("/releases/v2/tool.tar.gz", body: ByteBuffer(bytes: file.data))
        upstream.set("/releases/v2/other.tar.gz", body: ByteBuffer(string: "other"))
        let larder = try await TestLarder {
            $0.upstreams["files"] = [try Upstream(url: upstream.url + "/releases", setting: "upstreams.files.tools", name: "tools")]
            $0.mirrorAPI = true
        }
        try await larder.stopping(upstream) {
            func purl(_ name: String, _ url: String, checksum: String) -> String {
                "pkg:generic/\(name)@2.0?download_url=\(url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&checksum=sha256:\(checksum)"
            }
            let purls = [
                purl("tool", "\(upstream.url)/releases/v2/tool.tar.gz", checksum: file.sha256),
                purl("other", "\(upstream.url)/releases/v2/other.tar.gz", checksum: String(repeating: "0", count: 64)),
                purl("elsewhere", "http://127.0.0.1:9/tool.tar.gz", checksum: file.sha256),
            ]
            let body = try JSONSerialization.data(withJSONObject: ["purls": purls])
            let id = try #require(try Self.job(try await Self.post(larder, String(decoding: body, as: UTF8.self)))["id"] as? String)
            let job = try await Self.wait(larder, id) { $0 == "done" || $0 == "failed" }
            #expect(job["state"] as? String == "failed")
            let progress = try #require(job["progress"] as? [String: Any])
            #expect(progress["fetched"] as? Int == 1)
            #expect(progress["failed"] as? Int == 2)
            let errors = (job["errors"] as? [String] ?? []).joined(separator: "\n")
            #expect(errors.contains("not below a configured files upstream"))
            #expect(errors.contains("promised"))
            #expect(try await larder.engine.lookup("files/tools/v2/other.tar.gz") == nil)
            await upstream.stop()
            let offline = try await RawHTTP.send(port: larder.port, target: "/files/tools/v2/tool.tar.gz")
            #expect(offline.status == 200)
            #expect(offline.body == file.data)
        }
    }

    @Test("OCI package URLs mirror whole images, by digest and by tag, index and every platform; then pulls work offline")
    func ociImages() async throws {
        let upstream = try await FixtureRegistry()
        let app = upstream.publishOCIImage("team/app", layers: [(Data("app layer".utf8), "sha256:" + String(repeating: "1", count: 64))], tags: ["1.0"])
        let amd = upstream.publishOCIImage("team/multi", layers: [(Data("amd layer".utf8), "sha256:" + String(repeating: "2", count: 64))], architecture: "amd64", tags: [])
        let arm = upstream.publishOCIImage("team/multi", layers: [(Data("arm layer".utf8), "sha256:" + String(repeating: "3", count: 64))], architecture: "arm64", tags: [])
        let index = upstream.publishOCIIndex("team/multi", images: [(amd, "amd64"), (arm, "arm64")], tags: ["2.0"])
        let larder = try await TestLarder {
            try $0.setUpstream("oci", upstream.url)
            $0.engine.metadataTTL = .seconds(0)
            $0.mirrorAPI = true
        }
        try await larder.stopping(upstream) {
            let registry = "127.0.0.1:\(upstream.port)"
            let purls = [
                "pkg:oci/app@\(app.digest.replacingOccurrences(of: ":", with: "%3A"))?repository_url=\(registry)/team/app",
                "pkg:oci/multi?repository_url=\(registry)/team/multi&tag=2.0",
                "pkg:oci/elsewhere@sha256%3A\(String(repeating: "0", count: 64))?repository_url=registry.invalid/x/y",
            ]
            let body = try JSONSerialization.data(withJSONObject: ["purls": purls])
            let id = try #require(try Self.job(try await Self.post(larder, String(decoding: body, as: UTF8.self)))["id"] as? String)
            let job = try await Self.wait(larder, id) { $0 == "done" || $0 == "failed" }
            let progress = try #require(job["progress"] as? [String: Any])
            // app: manifest, config, layer; multi: index, two manifests, two configs, two layers.
            // The manifests were read (and so stored) while planning: the run finds them cached.
            #expect(progress["total"] as? Int == 10)
            #expect(progress["fetched"] as? Int == 6)
            #expect(progress["skipped"] as? Int == 4)
            #expect(progress["failed"] as? Int == 1)
            #expect((job["errors"] as? [String] ?? []).joined().contains("upstreams.oci.registry.invalid"))

            await upstream.stop()
            let byTag = try await RawHTTP.send(port: larder.port, target: "/v2/team/multi/manifests/2.0")
            #expect(byTag.status == 200)
            #expect(byTag.headers["docker-content-digest"] == index.digest)
            for target in ["/v2/team/multi/manifests/\(arm.digest)", "/v2/team/app/manifests/\(app.digest)"] {
                #expect(try await RawHTTP.send(port: larder.port, target: target).status == 200, "\(target)")
            }
            let manifest = try #require(try JSONSerialization.jsonObject(with: try await RawHTTP.send(port: larder.port, target: "/v2/team/multi/manifests/\(arm.digest)").body) as? [String: Any])
            let layer = try #require(((manifest["layers"] as? [[String: Any]])?.first)?["digest"] as? String)
            let blob = try await RawHTTP.send(port: larder.port, target: "/v2/team/multi/blobs/\(layer)")
            #expect(blob.body == Data("arm layer".utf8))
        }
    }

    @Test("progress streams as server-sent events until the end event")
    func events() async throws {
        let upstream = try await Self.upstream(slowPause: .milliseconds(30))
        let larder = try await Self.larder(upstream)
        let id = try #require(try Self.job(try await Self.post(larder, #"{"purls": ["pkg:npm/fast@1.0.0", "pkg:npm/slow@1.0.0"]}"#))["id"] as? String)
        let stream = try await RawHTTP.send(port: larder.port, target: "/api/mirror/\(id)/events")
        #expect(stream.headers["content-type"] == "text/event-stream")
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.count >= 2)
        #expect(events.last?.hasPrefix("event: end\ndata: ") == true)
        let last = try #require(events.last?.components(separatedBy: "data: ").last)
        let job = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(job["state"] as? String == "done")
        #expect(events.dropLast().allSatisfy { $0.hasPrefix("event: progress\ndata: {") })
        await larder.stop()
        await upstream.stop()
    }

    @Test("planning and fetching overlap: a package's tarball is fetched while another package's document is still awaited")
    func pipelined() async throws {
        let upstream = try await Self.upstream()
        let gate = FixtureGate()
        upstream.set("/held/-/held-1.0.0.tgz", body: ByteBuffer(repeating: 3, count: 4000))
        upstream.set("/held", .init(body: ByteBuffer(string: #"{"name": "held", "versions": {"1.0.0": {"name": "held", "version": "1.0.0", "dist": {"tarball": "\#(upstream.url)/held/-/held-1.0.0.tgz"}}}}"#), contentType: "application/json", fault: .gate(gate)))
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            let id = try #require(try Self.job(try await Self.post(larder, #"{"purls": ["pkg:npm/held@1.0.0", "pkg:npm/fast@1.0.0"], "concurrency": 4}"#))["id"] as? String)
            await gate.arrivals(1)
            // With the documents of `held` still held back, `fast` is planned and its tarball fetched.
            var fetched = false
            for _ in 0..<200 where !fetched {
                fetched = upstream.requests(to: "/fast/-/fast-1.0.0.tgz") == 1
                if !fetched { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(fetched, "the tarball of a planned package waits for the planning of others")
            #expect(upstream.requests(to: "/held/-/held-1.0.0.tgz") == 0)
            gate.open()
            let job = try await Self.wait(larder, id) { $0 == "done" || $0 == "failed" }
            #expect(job["state"] as? String == "done")
            let progress = try #require(job["progress"] as? [String: Any])
            #expect(progress["total"] as? Int == 2)
            #expect(progress["fetched"] as? Int == 2)
            #expect(upstream.requests(to: "/held/-/held-1.0.0.tgz") == 1)
        }
    }

    @Test("DELETE cancels a running job")
    func cancel() async throws {
        let upstream = try await Self.upstream(slowPause: .milliseconds(200))
        let larder = try await Self.larder(upstream)
        let id = try #require(try Self.job(try await Self.post(larder, #"{"purls": ["pkg:npm/slow@1.0.0"]}"#))["id"] as? String)
        _ = try await Self.wait(larder, id) { $0 == "running" }
        let cancelled = try Self.job(try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/api/mirror/\(id)", headers: [try await larder.writeAuthorization()]))
        #expect(cancelled["state"] as? String == "cancelled")
        #expect(try Self.job(try await RawHTTP.send(port: larder.port, target: "/api/mirror/\(id)"))["state"] as? String == "cancelled")
        await larder.stop()
        await upstream.stop()
    }

    @Test("a restart interrupts a running job; resume finishes it without fetching again what was done")
    func interruptAndResume() async throws {
        let upstream = try await Self.upstream(slowPause: .milliseconds(200))
        let data = TestLarder.temporaryDirectory("mirror-api")
        // A short grace period: the slow download is cut at shutdown instead of finishing.
        let first = try await Self.larder(upstream, data: data) { $0.engine.shutdownGrace = .milliseconds(100) }
        let id = try #require(try Self.job(try await Self.post(first, #"{"purls": ["pkg:npm/fast@1.0.0", "pkg:npm/slow@1.0.0"], "concurrency": 1}"#))["id"] as? String)
        _ = try await Self.wait(first, id) { _ in upstream.requests(to: "/fast/-/fast-1.0.0.tgz") == 1 && upstream.requests(to: "/slow/-/slow-1.0.0.tgz") == 1 }
        await first.stop()

        upstream.set("/slow/-/slow-1.0.0.tgz", body: ByteBuffer(bytes: Data(repeating: 2, count: 30_000)))
        let second = try await Self.larder(upstream, data: data)
        let interrupted = try Self.job(try await RawHTTP.send(port: second.port, target: "/api/mirror/\(id)"))
        #expect(interrupted["state"] as? String == "interrupted")
        let resumed = try await Self.post(second, "", target: "/api/mirror/\(id)/resume")
        #expect(resumed.status == 202)
        let done = try await Self.wait(second, id) { $0 == "done" }
        #expect((done["progress"] as? [String: Any])?["skipped"] as? Int == 1)
        #expect(upstream.requests(to: "/fast/-/fast-1.0.0.tgz") == 1)
        #expect(upstream.requests(to: "/slow/-/slow-1.0.0.tgz") == 2)
        let again = try await Self.post(second, "", target: "/api/mirror/\(id)/resume")
        #expect(again.status == 400)
        await second.stop()
        await upstream.stop()
    }

    @Test("resumes sent at the same moment start one runner; the others are told the job is running")
    func concurrentResumes() async throws {
        let upstream = try await Self.upstream()
        // The tarball is held until the resumes are in, so the job is running however slow the machine.
        let gate = FixtureGate()
        upstream.set("/slow/-/slow-1.0.0.tgz", body: ByteBuffer(bytes: Data(repeating: 2, count: 30_000)), fault: .gate(gate))
        let larder = try await Self.larder(upstream)
        let id = try #require(try Self.job(try await Self.post(larder, #"{"purls": ["pkg:npm/slow@1.0.0"]}"#))["id"] as? String)
        _ = try await Self.wait(larder, id) { $0 == "running" }
        _ = try await RawHTTP.send(port: larder.port, method: "DELETE", target: "/api/mirror/\(id)", headers: [try await larder.writeAuthorization()])
        defer { gate.open() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await Self.post(larder, "", target: "/api/mirror/\(id)/resume").status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 202 }.count == 1, "\(statuses)")
        #expect(statuses.allSatisfy { [202, 400, 409].contains($0) }, "\(statuses)")
        gate.open()
        let done = try await Self.wait(larder, id) { $0 == "done" }
        let progress = try #require(done["progress"] as? [String: Any])
        #expect(progress["total"] as? Int == 1)
        #expect((progress["fetched"] as? Int ?? 0) + (progress["skipped"] as? Int ?? 0) == 1)
        await larder.stop()
        await upstream.stop()
    }

    @Test("a job keeps the first 100 problems with its inputs and counts the rest")
    func problemsCapped() async throws {
        let upstream = try await Self.upstream()
        let larder = try await Self.larder(upstream)
        let requirements = (0..<500).map { "package\($0)>=1\\n" }.joined()
        let answer = try await Self.post(larder, #"{"purls": ["pkg:npm/fast@1.0.0"], "lockfile": {"filename": "requirements.txt", "content": ""# + requirements + #""}}"#)
        #expect(answer.status == 202, "\(answer.text)")
        let problems = try #require(try Self.job(answer)["inputProblems"] as? [String])
        #expect(problems.count == 101)
        #expect(problems.last == "and 400 more problems with the inputs")
        let id = try #require(try Self.job(answer)["id"] as? String)
        let done = try await Self.wait(larder, id) { $0 == "done" }
        #expect((done["progress"] as? [String: Any])?["notMirrorable"] as? Int == 500)
        await larder.stop()
        await upstream.stop()
    }
}

/// The schemas of `/openapi.json`, and a check of JSON values against them (types, required
/// properties, enums, items, references): enough to hold the server's answers to its document.
struct OpenAPISchemas {
    let schemas: [String: Any]

    static func load(port: Int) async throws -> OpenAPISchemas {
        let answer = try await RawHTTP.send(port: port, target: "/openapi.json")
        let root = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        #expect(root["openapi"] as? String == "3.1.0")
        return OpenAPISchemas(schemas: try #require((root["components"] as? [String: Any])?["schemas"] as? [String: Any]))
    }

    func check(_ value: Any, against name: String) throws {
        try check(value, schema: try #require(schemas[name] as? [String: Any]), path: name)
    }

    private func check(_ value: Any, schema: [String: Any], path: String) throws {
        if let ref = schema["$ref"] as? String {
            return try check(value, against: String(ref.split(separator: "/").last!))
        }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty {
            let matches = types.contains { type in
                switch type {
                case "object": value is [String: Any]
                case "array": value is [Any]
                case "string": value is String
                case "integer": (value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
                default: true
                }
            }
            #expect(matches, "\(path): \(value) is not \(types)")
        }
        if let allowed = schema["enum"] as? [String], let string = value as? String {
            #expect(allowed.contains(string), "\(path): '\(string)' is not one of \(allowed)")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] { #expect(object[key] != nil, "\(path) lacks \(key)") }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, item) in object {
                if let property = properties[key] as? [String: Any] {
                    try check(item, schema: property, path: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    try check(item, schema: additional, path: "\(path).\(key)")
                } else {
                    Issue.record("\(path) has \(key), which the document does not describe")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { try check(item, schema: items, path: "\(path)[\(index)]") }
        }
    }
}
