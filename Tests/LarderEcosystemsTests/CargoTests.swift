import Foundation
import LarderCore
import LarderEcosystems
import NIOCore
import Testing

@Suite("Cargo index")
struct CargoTests {
    @Test("index paths follow Cargo's rules for 1, 2, 3 and 4+ letter names, lower-cased")
    func paths() {
        #expect(CargoIndex.path(of: "a") == "1/a")
        #expect(CargoIndex.path(of: "ab") == "2/ab")
        #expect(CargoIndex.path(of: "Abc") == "3/a/abc")
        #expect(CargoIndex.path(of: "Serde_JSON") == "se/rd/serde_json")
        #expect(CargoIndex.prefix(of: "Serde_JSON") == "Se/rd")
        #expect(CargoIndex.crate(atPath: ["se", "rd", "serde"]) == "serde")
        #expect(CargoIndex.crate(atPath: ["3", "s", "syn"]) == "syn")
        #expect(CargoIndex.crate(atPath: ["3", "x", "syn"]) == nil)
        #expect(CargoIndex.crate(atPath: ["Se", "rd", "Serde"]) == nil)
        #expect(CargoIndex.crate(atPath: ["2", "a/"]) == nil)
        #expect(!CargoIndex.isCrateName("-dash"))
        #expect(!CargoIndex.isCrateName(String(repeating: "a", count: 65)))
        #expect(!CargoIndex.isCrateName("caf\u{e9}"))
    }

    @Test("dl without markers gets /{crate}/{version}/download appended; markers are replaced")
    func downloadURLs() {
        #expect(CargoIndex.downloadURL(template: "https://dl.example/crates", crate: "Serde", version: "1.0.0", checksum: "ab") == "https://dl.example/crates/Serde/1.0.0/download")
        #expect(CargoIndex.downloadURL(template: "https://dl.example/crates/", crate: "a", version: "1.0.0", checksum: "ab") == "https://dl.example/crates/a/1.0.0/download")
        #expect(CargoIndex.downloadURL(template: "https://dl.example/{lowerprefix}/{prefix}/{crate}-{version}.crate?sum={sha256-checksum}", crate: "Serde", version: "1.0.0", checksum: "ab")
            == "https://dl.example/se/rd/Se/rd/Serde-1.0.0.crate?sum=ab")
    }

    @Test("index lines must name the crate, a version and a SHA-256")
    func entries() throws {
        let sum = String(repeating: "0", count: 64)
        let good = ByteBuffer(string: "{\"name\":\"Serde\",\"vers\":\"1.0.0\",\"cksum\":\"\(sum)\",\"deps\":[]}\n\n{\"name\":\"serde\",\"vers\":\"1.0.1\",\"cksum\":\"\(sum)\",\"yanked\":true,\"v\":2}\n")
        let parsed = try CargoIndex.entries(good, crate: "serde")
        #expect(parsed.map(\.vers) == ["1.0.0", "1.0.1"])
        #expect(parsed.map { $0.yanked ?? false } == [false, true])
        for bad in ["not json", "{\"name\":\"other\",\"vers\":\"1\",\"cksum\":\"\(sum)\"}", "{\"name\":\"serde\",\"vers\":\"1/../x\",\"cksum\":\"\(sum)\"}", "{\"name\":\"serde\",\"vers\":\"1\"}"] {
            #expect(throws: LarderError.self) { try CargoIndex.entries(ByteBuffer(string: bad), crate: "serde") }
        }
    }

    @Test("Cargo version requirements: bare means caret, comparators are comma-separated")
    func requirements() throws {
        let adapter = CargoAdapter(upstreams: [])
        let caret = try adapter.versionRange("1.2")
        #expect(caret.contains("1.9.0") && !caret.contains("2.0.0") && !caret.contains("1.1.0"))
        let zero = try adapter.versionRange("0.3")
        #expect(zero.contains("0.3.5") && !zero.contains("0.4.0"))
        let both = try adapter.versionRange(">= 1.0, <1.5")
        #expect(both.contains("1.4.9") && !both.contains("1.5.0"))
        let tilde = try adapter.versionRange("~1.4.1")
        #expect(tilde.contains("1.4.9") && !tilde.contains("1.5.0"))
        for bad in ["", ",", "1.0 || 2.0", "1.0,", "^^1"] {
            #expect(throws: LarderError.self) { try adapter.versionRange(bad) }
        }
    }
}
