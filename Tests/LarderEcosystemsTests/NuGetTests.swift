import Foundation
import LarderCore
import LarderEcosystems
import NIOCore
import NIOFoundationCompat
import Testing

@Suite("NuGet documents")
struct NuGetTests {
    @Test("version ranges: minimum, exact, intervals")
    func ranges() throws {
        let adapter = NuGetAdapter(upstreams: [])
        #expect(try adapter.versionRange("1.2.0").contains("3.0.0"))
        #expect(!(try adapter.versionRange("1.2.0").contains("1.1.0")))
        #expect(try adapter.versionRange("[1.2.0]").contains("1.2.0") && !(try adapter.versionRange("[1.2.0]").contains("1.2.1")))
        let interval = try adapter.versionRange("[1.0.0,2.0.0)")
        #expect(interval.contains("1.0.0") && interval.contains("1.9.9") && !interval.contains("2.0.0"))
        #expect(try adapter.versionRange("(,2.0.0]").contains("2.0.0"))
        for bad in ["[,]", "[1.0.0", "(1.0.0)", "[1,2,3]"] {
            #expect(throws: (any Error).self) { try adapter.versionRange(bad) }
        }
    }

    @Test("registration documents: URLs rewritten in both JSON spellings; service indexes must be V3")
    func documents() throws {
        let body = ByteBuffer(string: #"{"@id":"https://feed.example/reg/x/index.json","packageContent":"https:\/\/feed.example\/flat\/x\/1.0.0\/x.1.0.0.nupkg","note":"see https://feed.example/reg/"}"#)
        let rewritten = try NuGetDocuments.rewritten(body, replacing: [("https://feed.example/reg/", "http://larder/nuget/v3/registration/"), ("https://feed.example/flat/", "http://larder/nuget/v3-flatcontainer/")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: rewritten)) as? [String: String])
        #expect(object["@id"] == "http://larder/nuget/v3/registration/x/index.json")
        #expect(object["packageContent"] == "http://larder/nuget/v3-flatcontainer/x/1.0.0/x.1.0.0.nupkg")
        // Only values that begin with a base are URLs to rewrite.
        #expect(object["note"] == "see https://feed.example/reg/")
        #expect(try NuGetDocuments.resources(ByteBuffer(string: #"{"version":"3.0.0","resources":[{"@id":"a","@type":"PackageBaseAddress/3.0.0"}]}"#)) == ["PackageBaseAddress/3.0.0": "a"])
        #expect(throws: LarderError.self) { try NuGetDocuments.resources(ByteBuffer(string: #"{"version":"2.0.0","resources":[]}"#)) }
        #expect(throws: LarderError.self) { try NuGetDocuments.inflated(ByteBuffer(bytes: [0x1f, 0x8b, 0, 1, 2, 3])) }
    }
}
