import Foundation
import LarderCore
import Testing

@Suite("Integrity")
struct IntegrityTests {
    @Test("SRI strings parse to hex, the strongest of several winning")
    func sri() throws {
        let sha1 = try #require(Integrity(sri: "sha1-" + Data(repeating: 0xab, count: 20).base64EncodedString()))
        #expect(sha1.algorithm == .sha1)
        #expect(sha1.hex == String(repeating: "ab", count: 20))
        let both = try #require(Integrity(sri: "sha1-\(Data(count: 20).base64EncodedString()) sha512-\(Data(repeating: 1, count: 64).base64EncodedString())"))
        #expect(both.algorithm == .sha512)
    }

    @Test("malformed promises are rejected", arguments: ["", "sha512-", "sha512-@@@", "md4-AAAA", "sha256-" + Data(count: 10).base64EncodedString()])
    func malformed(sri: String) {
        #expect(Integrity(sri: sri) == nil)
    }

    @Test("hex digests must have the algorithm's length and hex characters")
    func hex() {
        #expect(Integrity(algorithm: .sha256, hex: String(repeating: "A", count: 64))?.hex == String(repeating: "a", count: 64))
        #expect(Integrity(algorithm: .sha256, hex: String(repeating: "a", count: 63)) == nil)
        #expect(Integrity(algorithm: .sha256, hex: String(repeating: "g", count: 64)) == nil)
        #expect(Integrity.strongest(of: ["md5": String(repeating: "0", count: 32), "sha256": String(repeating: "1", count: 64)])?.algorithm == .sha256)
        #expect(Integrity.strongest(of: ["whirlpool": "00"]) == nil)
    }
}
