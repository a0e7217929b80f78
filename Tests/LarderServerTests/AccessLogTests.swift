import Foundation
import LarderCore
@testable import LarderServer
import LarderTesting
import NIOCore
import Testing

/// The JSON-lines access log (`access_log`).
@Suite("Access log")
struct AccessLogTests {
    /// The log's lines, each parsed as a JSON object (a line that is not one fails the test).
    static func lines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "\(line)")
        }
    }

    @Test("one JSON line per request: time, client, token name, method, path, ecosystem, package, version, cache result, status, bytes; fast-path hits included; hostile paths escaped")
    func linesPerRequest() async throws {
        let upstream = try await AccessControlTests.upstream()
        let directory = TestLarder.temporaryDirectory("access-log")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/access.jsonl"
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.accessLog = path
        }
        let tarball = "/npm/left-pad/-/left-pad-1.3.0.tgz"
        let hostile = "/npm/%22%0A%7D%7B/x\"y\\z{}"
        try await larder.stopping(upstream) {
            let read = try await larder.makeToken(.read, name: "ci-runner")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: [("Authorization", "Bearer \(read)")]).status == 200)
            for _ in 0..<4 { #expect(try await RawHTTP.send(port: larder.port, target: tarball).text == "a tarball") }
            #expect(try await RawHTTP.send(port: larder.port, method: "HEAD", target: tarball).status == 200)
            #expect(try await RawHTTP.send(port: larder.port, target: tarball, headers: [("Authorization", "Bearer larder_wrong")]).status == 401)
            _ = try? await RawHTTP.send(port: larder.port, target: hostile)
            #expect(try await RawHTTP.send(port: larder.port, target: "/health").status == 200)
        }
        let lines = try Self.lines(path)
        try #require(lines.count == 9, "\(lines)")
        for line in lines {
            #expect(line["client"] as? String == "127.0.0.1")
            let time = try #require(line["time"] as? String)
            #expect(time.count == 24 && time.hasSuffix("Z") && ISO8601DateFormatter.withFractionalSeconds.date(from: time) != nil, "\(time)")
            #expect(line["ms"] is Int)
        }
        let document = lines[0]
        #expect(document["token"] as? String == "ci-runner")
        #expect(document["method"] as? String == "GET" && document["path"] as? String == "/npm/left-pad")
        #expect(document["ecosystem"] as? String == "npm" && document["package"] as? String == "left-pad" && document["version"] is NSNull)
        #expect(document["cache"] as? String == "MISS" && document["status"] as? Int == 200)
        #expect((document["bytes"] as? Int ?? 0) > 0)

        let downloads = lines[1...4]
        #expect(downloads.map { $0["cache"] as? String } == ["MISS", "HIT", "HIT", "HIT"])
        for line in downloads {
            #expect(line["token"] is NSNull && line["path"] as? String == tarball)
            #expect(line["package"] as? String == "left-pad" && line["version"] as? String == "1.3.0" && line["ecosystem"] as? String == "npm")
            #expect(line["status"] as? Int == 200 && line["bytes"] as? Int == 9)
        }
        #expect((larder.larder.fastHits?.servedCount.load(ordering: .relaxed) ?? 0) > 0, "the fast path answered none of the repeated hits, so its lines went untested")
        #expect(lines[5]["method"] as? String == "HEAD" && lines[5]["bytes"] as? Int == 0 && lines[5]["status"] as? Int == 200)
        #expect(lines[6]["status"] as? Int == 401 && lines[6]["token"] is NSNull)
        let hostileLine = lines[7]
        #expect(hostileLine["path"] as? String == hostile && (hostileLine["status"] as? Int ?? 0) >= 400, "\(hostileLine)")
        #expect(lines[8]["path"] as? String == "/health" && lines[8]["ecosystem"] is NSNull && lines[8]["cache"] is NSNull)
    }

    @Test("every character a request can carry is escaped: each line parses as JSON and gives back what was logged")
    func escaping() throws {
        let nasty = "/files/\u{0}\u{1}\n\r\t\"\\\u{7f}\u{2028}\u{2029}é😀\"},{\"status\":1"
        let entry = AccessLogEntry(
            time: Date(timeIntervalSince1970: 1_764_000_000.5), client: "::1", token: "a\"b", method: "GET", path: nasty, ecosystem: nil,
            package: PackageRef("x\ny"), cache: nil, status: 404, bytes: 3, cut: true, milliseconds: 7)
        let line = entry.line
        #expect(line.hasSuffix("}\n") && line.dropLast().allSatisfy { $0 != "\n" && $0 != "\u{2028}" })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["path"] as? String == nasty && object["token"] as? String == "a\"b" && object["package"] as? String == "x\ny")
        #expect(object["time"] as? String == "2025-11-24T16:00:00.500Z" && object["status"] as? Int == 404 && object["cut"] as? Bool == true)
    }

    @Test("an access log that cannot be opened stops Larder with a message naming the setting")
    func unopenable() async throws {
        await #expect {
            _ = try await TestLarder { $0.accessLog = "/nonexistent-\(UUID().uuidString)/access.jsonl" }
        } throws: { error in
            "\(error)".contains("access_log") && "\(error)".contains("No such file")
        }
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with fractional seconds.
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
