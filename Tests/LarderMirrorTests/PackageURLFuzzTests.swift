import Foundation
@testable import LarderMirror
import Testing

/// Malformed package URLs: mutations of the suite's inputs must parse to something that
/// round-trips through its canonical form, or fail with a message; never crash.
@Suite("Package URL fuzzing")
struct PackageURLFuzzTests {
    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
    }

    static let alphabet = Array("pkg:/@?#&=%2F%40%ZZ%..-_~+ aAzZ09\u{0}\u{7f}é😀\\\t\n")

    @Test("20,000 mutated package URLs never crash the parser, and what parses round-trips")
    func mutations() throws {
        let seeds = try PackageURLSuiteTests.cases().compactMap(\.input.text)
        #expect(seeds.count > 200)
        var random = Generator(state: 0x5eed_1234_abcd_ef01)
        var parsed = 0
        for _ in 0..<20_000 {
            var chars = Array(seeds[random.next(seeds.count)])
            for _ in 0...random.next(4) {
                switch random.next(4) {
                case 0 where !chars.isEmpty: chars.remove(at: random.next(chars.count))
                case 1: chars.insert(Self.alphabet[random.next(Self.alphabet.count)], at: random.next(chars.count + 1))
                case 2 where !chars.isEmpty: chars[random.next(chars.count)] = Self.alphabet[random.next(Self.alphabet.count)]
                default: if chars.count > 2 { chars = Array(chars[..<random.next(chars.count)]) }
                }
            }
            let input = String(chars)
            for lenient in [false, true] {
                do {
                    let purl = try PackageURL(parsing: input, lenient: lenient)
                    parsed += 1
                    let again = try PackageURL(parsing: purl.description, lenient: lenient)
                    #expect(again == purl, "\(input) → \(purl) does not round-trip")
                } catch {
                    #expect(!error.message.isEmpty)
                }
            }
        }
        #expect(parsed > 0)
    }

    @Test("typical mistakes get messages that say what is wrong", arguments: [
        ("lodash@4.17.21", "pkg:"), ("pkg:npm", "no name"), ("pkg:npm/@1.0", "no name"), ("pkg:3d/x", "start with a letter"),
        ("pkg:pypi/requests?Arch=x", "lower case"), ("pkg:maven/junit@4", "namespace"), ("pkg:pypi/ns/requests", "no namespace"),
        ("pkg:npm/a%ZZb", "percent"), ("http://example.com/x", "scheme"),
    ])
    func messages(input: String, fragment: String) {
        #expect(throws: PackageURLError.self) { try PackageURL(parsing: input) }
        do {
            _ = try PackageURL(parsing: input)
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }
}
