import Foundation
import LarderCore
import LarderEcosystems
import NIOCore
import Testing

@Suite("Composer metadata")
struct ComposerTests {
    @Test("minified versions inherit from the entry before; __unset removes a key")
    func minified() throws {
        let body = ByteBuffer(string: #"{"minified":"composer/2.0","packages":{"a/b":[{"name":"a/b","version":"2.0.0","require":{"php":">=8"},"dist":{"url":"https://x/2.zip","type":"zip"}},{"version":"1.0.0","require":"__unset","dist":{"url":"https://x/1.zip","type":"zip"}}]}}"#)
        let versions = try ComposerMetadata.versions(body, package: "a/b")
        #expect(versions.count == 2)
        #expect(versions[1]["name"] as? String == "a/b")
        #expect(versions[1]["require"] == nil)
        #expect(versions[0]["require"] != nil)
        #expect(throws: LarderError.self) { try ComposerMetadata.versions(ByteBuffer(string: "[]"), package: "a/b") }
        #expect(throws: LarderError.self) { try ComposerMetadata.versions(ByteBuffer(string: #"{"packages":{"a/b":[{"name":"a/b"}]}}"#), package: "a/b") }
    }

    @Test("metadata-url is resolved against packages.json: host-relative, relative and absolute")
    func templates() throws {
        func template(_ value: String) throws -> String {
            try ComposerMetadata.metadataTemplate(ByteBuffer(string: #"{"metadata-url":"\#(value)"}"#), documentURL: "https://repo.example/private/packages.json")
        }
        #expect(try template("/p2/%package%.json") == "https://repo.example/p2/%package%.json")
        #expect(try template("p2/%package%.json") == "https://repo.example/private/p2/%package%.json")
        #expect(try template("https://cdn.example/p2/%package%.json") == "https://cdn.example/p2/%package%.json")
        #expect(throws: LarderError.self) { try template("/p2/all.json") }
    }

    @Test("Composer constraints")
    func constraints() throws {
        let adapter = ComposerAdapter(upstreams: [])
        #expect(try adapter.versionRange("^1.2").contains("1.9.0"))
        #expect(!(try adapter.versionRange("^1.2").contains("2.0.0")))
        #expect(try adapter.versionRange(">=1.0,<2.0").contains("v1.5.0"))
        #expect(try adapter.versionRange("^1.0 || ^2.0").contains("2.1.0"))
        #expect(try adapter.versionRange("1.2.*").contains("1.2.7"))
    }
}
