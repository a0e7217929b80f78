import Foundation
import LarderCore
import LarderEcosystems
import NIOCore
import NIOFoundationCompat
import Testing

@Suite("NuGet documents")
struct NuGetTests {
    @Test("a registration index with inlined pages loses the refused versions' leaves (case aside), its counts follow, and a page left empty goes; linked pages and other JSON stay")
    func filteredRegistration() throws {
        let leaf = { (version: String) -> [String: Any] in ["@id": "x/\(version).json", "catalogEntry": ["version": version]] }
        let index: [String: Any] = ["count": 3, "items": [
            ["@id": "p1", "count": 2, "lower": "1.0.0", "upper": "2.0.0-Beta", "items": [leaf("1.0.0"), leaf("2.0.0-Beta")]],
            ["@id": "p2", "count": 1, "lower": "3.0.0", "upper": "3.0.0", "items": [leaf("3.0.0")]],
            ["@id": "p3", "count": 5, "lower": "4.0.0", "upper": "9.0.0"],
        ]]
        let allowed = VersionFilter { $0 != "2.0.0-beta" && $0 != "3.0.0" }
        let body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: index))
        let cut = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try NuGetDocuments.filteredRegistration(body, allowed: allowed))) as? [String: Any])
        let pages = try #require(cut["items"] as? [[String: Any]])
        #expect(cut["count"] as? Int == 2 && pages.map { $0["@id"] as? String } == ["p1", "p3"])
        #expect(pages[0]["count"] as? Int == 1 && (pages[0]["items"] as? [[String: Any]])?.count == 1)
        #expect(pages[1]["count"] as? Int == 5)
        #expect(try NuGetDocuments.filteredRegistration(body, allowed: .everything) == body)
        #expect(try NuGetDocuments.filteredRegistration(ByteBuffer(string: "[1]"), allowed: allowed) == ByteBuffer(string: "[1]"))
    }

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
