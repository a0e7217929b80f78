import Foundation
import LarderCore
import NIOCore
@testable import LarderEcosystems
import Testing

@Suite("npm registry")
struct NpmTests {
    @Test("package names parse, plain and scoped")
    func names() throws {
        let scoped = try NpmPackageName("@types/node")
        #expect(scoped.scope == "types")
        #expect(scoped.name == "node")
        #expect(scoped.urlPath == "@types%2fnode")
        #expect(try NpmPackageName("lodash").description == "lodash")
    }

    @Test("invalid package names are refused", arguments: ["", "@scope", "@/x", "@a/b/c", ".hidden", "node_modules", "sp ace", "a%2fb", "é"])
    func invalid(name: String) {
        #expect(throws: LarderError.self) { try NpmPackageName(name) }
    }

    static let packument = """
        {"name": "demo", "dist-tags": {"latest": "1.1.0"},
         "versions": {
           "1.0.0": {"name": "demo", "version": "1.0.0", "dist": {"tarball": "https://registry.example/demo/-/demo-1.0.0.tgz", "shasum": "\(String(repeating: "1", count: 40))"}},
           "1.1.0": {"name": "demo", "version": "1.1.0", "dist": {"tarball": "https://registry.example/demo/-/demo-1.1.0.tgz", "integrity": "sha512-\(Data(repeating: 7, count: 64).base64EncodedString())", "shasum": "\(String(repeating: "2", count: 40))"}}
         }}
        """

    static func document(_ text: String, source: String = "test") -> Packument {
        Packument(ByteBuffer(string: text), source: source)
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    @Test("tarballs are found by file name with their strongest promised digest")
    func tarballLookup() throws {
        let doc = Self.document(Self.packument)
        let old = try #require(try doc.tarball(named: "demo-1.0.0.tgz"))
        #expect(old.integrity?.algorithm == .sha1)
        let new = try #require(try doc.tarball(named: "demo-1.1.0.tgz"))
        #expect(new.integrity?.algorithm == .sha512)
        #expect(new.url == "https://registry.example/demo/-/demo-1.1.0.tgz")
        #expect(try doc.tarball(named: "demo-9.tgz") == nil)
        let latest = try #require(try doc.version("latest", tarballBase: "http://larder/npm/demo/-/"))
        let version = try #require(try JSONSerialization.jsonObject(with: latest) as? [String: Any])
        #expect(version["version"] as? String == "1.1.0")
        #expect((version["dist"] as? [String: Any])?["tarball"] as? String == "http://larder/npm/demo/-/demo-1.1.0.tgz")
        #expect(try doc.version("2.0.0", tarballBase: "") == nil)
    }

    @Test("tarball URLs are rewritten to Larder and nothing else changes")
    func rewrite() throws {
        let doc = Self.document(Self.packument)
        let rendered = try Self.json(try doc.rendered(tarballBase: "http://larder:8080/npm/demo/-/", abbreviated: false))
        var expected = try Self.json(ByteBuffer(string: Self.packument))
        var versions = expected["versions"] as! [String: Any]
        for (version, value) in versions {
            var body = value as! [String: Any]
            var dist = body["dist"] as! [String: Any]
            dist["tarball"] = "http://larder:8080/npm/demo/-/" + (dist["tarball"] as! String).split(separator: "/").last!
            body["dist"] = dist
            versions[version] = body
        }
        expected["versions"] = versions
        #expect(NSDictionary(dictionary: rendered) == NSDictionary(dictionary: expected))
    }

    @Test("rewriting keeps escapes, Unicode, numbers and odd members as upstream wrote them")
    func rewriteKeepsText() throws {
        let text = #"""
            { "name" : "d\u0065mo", "description": "caf\u00e9 \"quoted\" \\ \/ \ud83d\ude00 €", "n": -1.5e+3, "z": [0, true, false, null, {}],
              "ver\u0073ions": {"1.0.0": {"dist": {"tarball": "https://registry.example/d/-/d%40x-1.0.0.tgz?token=1", "size": 12}},
                                "bad": "not an object", "2.0.0": {"dist": {"tarball": 7}}} }
            """#
        let rendered = try Self.json(try Self.document(text).rendered(tarballBase: "http://l/npm/demo/-/", abbreviated: false))
        #expect(rendered["name"] as? String == "demo")
        #expect(rendered["description"] as? String == "café \"quoted\" \\ / 😀 €")
        #expect((rendered["n"] as? NSNumber)?.doubleValue == -1500)
        let versions = try #require(rendered["versions"] as? [String: Any])
        #expect(((versions["1.0.0"] as? [String: Any])?["dist"] as? [String: Any])?["tarball"] as? String == "http://l/npm/demo/-/d@x-1.0.0.tgz")
        #expect(versions["bad"] as? String == "not an object")
        #expect(((versions["2.0.0"] as? [String: Any])?["dist"] as? [String: Any])?["tarball"] is NSNull)
    }

    @Test("the abbreviated form keeps what installing needs, drops the rest, and marks install scripts")
    func abbreviated() throws {
        let full = """
            {"name": "demo", "description": "a demo", "readme": "\(String(repeating: "long text ", count: 1000))",
             "maintainers": [{"name": "someone"}], "time": {"modified": "2026-11-01T00:00:00.000Z", "1.0.0": "2026-10-01T00:00:00.000Z"},
             "dist-tags": {"latest": "1.0.0"},
             "versions": {"1.0.0": {"name": "demo", "version": "1.0.0", "description": "a demo", "readme": "text",
               "scripts": {"test": "x", "postinstall": "node setup.js"}, "dependencies": {"a": "^1"}, "peerDependencies": {"b": "2"},
               "engines": {"node": ">=18"}, "bin": {"demo": "cli.js"}, "os": ["linux"], "_hasShrinkwrap": false, "deprecated": "use demo2",
               "dist": {"tarball": "https://registry.example/demo/-/demo-1.0.0.tgz", "shasum": "\(String(repeating: "1", count: 40))"}},
              "0.9.0": {"name": "demo", "version": "0.9.0", "scripts": {"test": "x"},
               "dist": {"tarball": "https://registry.example/demo/-/demo-0.9.0.tgz", "shasum": "\(String(repeating: "2", count: 40))"}}}}
            """
        let body = try Self.document(full).rendered(tarballBase: "http://l/npm/demo/-/", abbreviated: true)
        let short = try Self.json(body)
        #expect(Set(short.keys) == ["name", "modified", "dist-tags", "versions"])
        #expect(short["modified"] as? String == "2026-11-01T00:00:00.000Z")
        let versions = try #require(short["versions"] as? [String: [String: Any]])
        let one = try #require(versions["1.0.0"])
        #expect(Set(one.keys) == ["name", "version", "dependencies", "peerDependencies", "engines", "bin", "os", "_hasShrinkwrap", "deprecated", "dist", "hasInstallScript"])
        #expect(one["hasInstallScript"] as? Bool == true)
        #expect((one["dist"] as? [String: Any])?["tarball"] as? String == "http://l/npm/demo/-/demo-1.0.0.tgz")
        #expect(versions["0.9.0"]?["hasInstallScript"] == nil)
        #expect(try Self.document(String(buffer: body)).tarball(named: "demo-0.9.0.tgz")?.integrity?.algorithm == .sha1)
        // Already abbreviated: unchanged.
        let again = try Self.json(try Self.document(String(buffer: body)).rendered(tarballBase: "http://l/npm/demo/-/", abbreviated: true))
        #expect(NSDictionary(dictionary: again) == NSDictionary(dictionary: short))
        #expect(body.readableBytes * 5 < full.utf8.count)
    }

    @Test("a document is checked as a whole: names, versions, syntax")
    func validation() throws {
        try Self.document(Self.packument).validate(name: "demo")
        #expect(throws: LarderError.self) { try Self.document(Self.packument).validate(name: "other") }
        #expect(throws: LarderError.self) { try Self.document(#"{"name": "demo"}"#).validate(name: "demo") }
        #expect(throws: LarderError.self) { try Self.document(#"{"name": "demo", "versions": []}"#).validate(name: "demo") }
    }

    @Test(
        "documents that are not JSON are errors, wherever the fault is",
        arguments: [
            "<html>", "", "{", #"{"name": "demo""#, #"{"name": "demo",}"#, #"{"name": "demo"} x"#, #"{"a": tru}"#, #"{"a": 01}"#,
            #"{"a": 1.}"#, #"{"a": -}"#, #"{"a": "\x"}"#, #"{"a": "\u12"}"#, "{\"a\": \"tab\there\"}", #"{"a" 1}"#, #"{"a": [1 2]}"#,
            #"{"a": "unterminated}"#, #"{1: 2}"#, #"["not", "an object"]"#,
        ])
    func badDocuments(text: String) {
        #expect(throws: LarderError.self) { try Self.document(text).releases() }
        #expect(throws: LarderError.self) { try Self.document(text).rendered(tarballBase: "", abbreviated: true) }
    }

    @Test("invalid UTF-8 and nesting past the limit are refused")
    func badBytes() throws {
        for bytes: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xFF]] {
            var buffer = ByteBuffer(string: #"{"name": ""#)
            buffer.writeBytes(bytes)
            buffer.writeString(#"", "versions": {}}"#)
            #expect(throws: LarderError.self) { try Packument(buffer, source: "t").rendered(tarballBase: "", abbreviated: false) }
        }
        let deep = #"{"name": "demo", "versions": {}, "x": "# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        let error = #expect(throws: LarderError.self) { try Self.document(deep).validate(name: "demo") }
        #expect(error?.message.contains("nested") == true)
        let fine = #"{"name": "demo", "versions": {}, "x": "# + String(repeating: "[", count: 400) + String(repeating: "]", count: 400) + "}"
        try Self.document(fine).validate(name: "demo")
    }

    @Test("mutated documents never crash the scanner, and what it renders is JSON")
    func fuzz() throws {
        let seed = Array(Self.packument.utf8)
        var generator = SplitMix(seed: 42)
        let punctuation = Array(#"{}[]",:\"#.utf8)
        var rendered = 0
        for _ in 0..<3_000 {
            var bytes = seed
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let at = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: at)
                default: bytes.insert(punctuation[Int(generator.next() % UInt64(punctuation.count))], at: at)
                }
            }
            guard let body = try? Packument(ByteBuffer(bytes: bytes), source: "fuzz").rendered(tarballBase: "http://l/", abbreviated: false) else { continue }
            rendered += 1
            #expect((try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) != nil, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(rendered > 100)
    }
}

/// A small deterministic random number generator for fuzzing.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
