import Foundation
import LarderCore
import LarderEcosystems
import NIOCore
import Testing

@Suite("RubyGems indexes")
struct RubyGemsTests {
    @Test("info lines: versions, platforms and checksums; lines that are not refuse the file")
    func info() throws {
        let sum = String(repeating: "a", count: 64)
        let body = ByteBuffer(string: "---\n1.0.0 |checksum:\(sum)\n1.1.0.pre dep:>= 1&< 2,other:~> 0.3|checksum:\(sum),ruby:>= 2.7\n1.1.0-x86_64-linux |checksum:\(sum)\n")
        let releases = try CompactIndex.releases(body, gem: "x")
        #expect(releases.map(\.field) == ["1.0.0", "1.1.0.pre", "1.1.0-x86_64-linux"])
        #expect(releases.map(\.platform) == ["ruby", "ruby", "x86_64-linux"])
        for bad in ["1.0.0 |checksum:\(sum)\n", "---\n1.0.0 |ruby:>= 0\n", "---\n1.0.0 |checksum:short\n", "---\n../x |checksum:\(sum)\n", "---\n<html>\n"] {
            #expect(throws: LarderError.self) { try CompactIndex.releases(ByteBuffer(string: bad), gem: "x") }
        }
        try CompactIndex.validateVersions(ByteBuffer(string: "created_at: 2026-01-01\n---\nx 1.0.0 abc\n"))
        #expect(throws: LarderError.self) { try CompactIndex.validateVersions(ByteBuffer(string: "<html></html>")) }
    }

    @Test("a .gem file name's possible (name, version) splits, most likely first")
    func candidates() {
        #expect(CompactIndex.candidates(forFile: "rails-7.1.0.gem").map { "\($0.name) \($0.field)" } == ["rails 7.1.0"])
        #expect(CompactIndex.candidates(forFile: "ruby-2fa-1.0.0-x86_64-linux.gem").map { "\($0.name) \($0.field)" } == ["ruby 2fa-1.0.0-x86_64-linux", "ruby-2fa 1.0.0-x86_64-linux"])
        #expect(CompactIndex.candidates(forFile: "rails.gem").isEmpty)
        #expect(CompactIndex.candidates(forFile: "-1.0.gem").isEmpty)
    }

    @Test("RubyGems requirements: ~>, comparisons, prereleases")
    func requirements() throws {
        let pessimistic = try GemRequirement.range("~> 1.2")
        #expect(pessimistic.contains("1.9.3") && !pessimistic.contains("2.0") && !pessimistic.contains("1.1"))
        let patch = try GemRequirement.range("~> 1.2.3")
        #expect(patch.contains("1.2.9") && !patch.contains("1.3.0") && !patch.contains("1.2.2"))
        let both = try GemRequirement.range(">= 1.0, < 2")
        #expect(both.contains("1.5") && !both.contains("2.0.0") && !both.contains("1.5.0.pre"))
        #expect(try GemRequirement.range(">= 1.0.pre").contains("1.0.0.rc1"))
        #expect(try GemRequirement.range("1.4.2").contains("1.4.2.0"))
        for bad in ["", "~> ", "abc", ">= 1,", "1.0 || 2"] {
            #expect(throws: LarderError.self) { try GemRequirement.range(bad) }
        }
    }
}
