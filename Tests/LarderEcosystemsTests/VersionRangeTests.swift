import LarderCore
@testable import LarderEcosystems
import Testing

@Suite("Version ranges")
struct VersionRangeTests {
    @Test("npm ranges, as node-semver documents them", arguments: [
        ("^1.2.3", "1.2.3", true), ("^1.2.3", "1.9.0", true), ("^1.2.3", "2.0.0", false), ("^1.2.3", "1.2.2", false),
        ("^0.2.3", "0.2.9", true), ("^0.2.3", "0.3.0", false), ("^0.0.3", "0.0.3", true), ("^0.0.3", "0.0.4", false),
        ("^1.x", "1.9.9", true), ("^0.x", "0.9.0", true), ("^0.x", "1.0.0", false),
        ("~1.2.3", "1.2.9", true), ("~1.2.3", "1.3.0", false), ("~1.2", "1.2.0", true), ("~1", "1.9.0", true), ("~1", "2.0.0", false),
        ("1.x", "1.4.0", true), ("1.2.x", "1.3.0", false), ("*", "3.0.0", true), ("", "0.1.0", true), ("1", "1.5.0", true),
        (">=1.2.7 <1.3.0", "1.2.8", true), (">=1.2.7 <1.3.0", "1.3.0", false), (">= 1.2.7", "1.2.7", true),
        ("1.2.7 || >=1.2.9 <2.0.0", "1.2.8", false), ("1.2.7 || >=1.2.9 <2.0.0", "1.4.6", true),
        ("1.2.3 - 2.3.4", "2.3.4", true), ("1.2.3 - 2.3", "2.3.9", true), ("1.2.3 - 2.3", "2.4.0", false), ("1.2 - 2", "2.9.9", true),
        (">1.2", "1.2.9", false), (">1.2", "1.3.0", true), ("<=1.2", "1.2.9", true), ("<=1.2", "1.3.0", false),
        ("=1.2.3", "1.2.3", true), ("v1.2.3", "1.2.3", true),
        ("^1.2.3", "1.3.0-beta.1", false), ("^1.2.3-beta.2", "1.2.3-beta.4", true), ("^1.2.3-beta.2", "1.2.4-beta.2", false),
        (">=1.2.3-alpha.3", "1.2.3-alpha.7", true), (">=1.2.3-alpha.3", "3.4.5-alpha.9", false), ("^1.0.0", "not-a-version", false),
    ])
    func npm(range: String, version: String, expected: Bool) throws {
        #expect(try NpmSemver.range(range).contains(version) == expected)
    }

    @Test("npm pre-release ordering", arguments: [
        ("1.0.0-alpha", "1.0.0-alpha.1"), ("1.0.0-alpha.1", "1.0.0-alpha.beta"), ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"), ("1.0.0-rc.1", "1.0.0"), ("1.0.0", "1.0.1"),
    ])
    func npmOrder(lower: String, higher: String) throws {
        #expect(try #require(NpmSemver.Version(lower)) < #require(NpmSemver.Version(higher)))
    }

    @Test("invalid npm ranges are errors", arguments: ["^a.b", "1.2.3.4", ">=x.y.z.w", "!1.0"])
    func npmInvalid(range: String) {
        #expect(throws: LarderError.self) { try NpmSemver.range(range) }
    }

    @Test("PEP 440 specifiers", arguments: [
        (">=2.28,<3", "2.31.0", true), (">=2.28,<3", "3.0", false), (">=2.28,<3", "2.27.1", false),
        ("~=2.2", "2.9", true), ("~=2.2", "3.0", false), ("~=1.4.5", "1.4.9", true), ("~=1.4.5", "1.5.0", false),
        ("==1.1.*", "1.1.9", true), ("==1.1.*", "1.2.0", false), ("!=1.3.*", "1.3.2", false), ("!=1.3.*", "1.4", true),
        ("==1.0", "1.0.0", true), ("==1.0", "1.0.post1", false), ("!=1.0", "1.0.0", false), ("===1.0", "1.0", true), ("===1.0", "1.0.0", false),
        (">=1.0", "2.0rc1", false), (">=2.0rc1", "2.0rc2", true), (">=1.0", "1.0.dev1", false),
        (">1.7", "1.7.post1", false), (">1.7", "1.7.1", true), ("<2.0", "2.0a1", false), ("<2.0a2", "2.0a1", true),
        (">=1!1.0", "2.0", false), (">=1.0", "1!0.5", true), ("==1.0+local", "1.0+local", true), ("==1.0", "1.0+anything", true),
        (">=1.0", "not.a.version", false), ("<=1.0", "1.0.0", true), ("== 2.0", "2.0", true),
    ])
    func pep440(spec: String, version: String, expected: Bool) throws {
        #expect(try PEP440.specifiers(spec).contains(version) == expected)
    }

    @Test("PEP 440 ordering", arguments: [
        ("1.0.dev456", "1.0a1"), ("1.0a1", "1.0a2.dev456"), ("1.0a2.dev456", "1.0a12"), ("1.0a12", "1.0b1.dev456"), ("1.0b2", "1.0b2.post345.dev456"),
        ("1.0b2.post345", "1.0rc1.dev456"), ("1.0rc1", "1.0"), ("1.0", "1.0.post456.dev34"), ("1.0.post456.dev34", "1.0.post456"), ("1.1.dev1", "1.1"),
        ("1.0", "1!0.1"), ("1.0", "1.0.1"), ("v1.0", "1.1"), ("1.0-1", "1.0.post2"), ("1.0.ALPHA1", "1.0b1"),
    ])
    func pep440Order(lower: String, higher: String) throws {
        #expect(try #require(PEP440.Version(lower)) < #require(PEP440.Version(higher)))
    }

    @Test("invalid PEP 440 specifiers are errors", arguments: ["", ">=", "~=1", "=>1.0", ">=one", "==1.0.*.1"])
    func pep440Invalid(spec: String) {
        #expect(throws: LarderError.self) { try PEP440.specifiers(spec) }
    }
}
