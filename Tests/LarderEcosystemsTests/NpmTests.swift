import Foundation
import LarderCore
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

    @Test("tarballs are found by file name with their strongest promised digest")
    func tarballLookup() throws {
        let doc = try Packument(Data(Self.packument.utf8), source: "test")
        let old = try #require(doc.tarball(named: "demo-1.0.0.tgz"))
        #expect(old.integrity?.algorithm == .sha1)
        let new = try #require(doc.tarball(named: "demo-1.1.0.tgz"))
        #expect(new.integrity?.algorithm == .sha512)
        #expect(new.url == "https://registry.example/demo/-/demo-1.1.0.tgz")
        #expect(doc.tarball(named: "demo-9.tgz") == nil)
        #expect(doc.version("latest")?["version"] as? String == "1.1.0")
    }

    @Test("tarball URLs are rewritten to Larder and nothing else changes")
    func rewrite() throws {
        var doc = try Packument(Data(Self.packument.utf8), source: "test")
        doc.rewriteTarballs(to: "http://larder:8080/npm/demo/-/")
        let again = try Packument(doc.data(), source: "test")
        #expect(again.distributions.count == 2)
        for (_, dist) in again.distributions {
            #expect((dist["tarball"] as? String)?.hasPrefix("http://larder:8080/npm/demo/-/demo-1.") == true)
        }
        #expect(again.tarball(named: "demo-1.1.0.tgz")?.integrity == doc.tarball(named: "demo-1.1.0.tgz")?.integrity)
        #expect((again.root["dist-tags"] as? [String: String])?["latest"] == "1.1.0")
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
        let short = try Packument(Data(full.utf8), source: "test").abbreviated()
        #expect(Set(short.root.keys) == ["name", "modified", "dist-tags", "versions"])
        #expect(short.root["modified"] as? String == "2026-11-01T00:00:00.000Z")
        let versions = try #require(short.root["versions"] as? [String: [String: Any]])
        let one = try #require(versions["1.0.0"])
        #expect(Set(one.keys) == ["name", "version", "dependencies", "peerDependencies", "engines", "bin", "os", "_hasShrinkwrap", "deprecated", "dist", "hasInstallScript"])
        #expect(one["hasInstallScript"] as? Bool == true)
        #expect(versions["0.9.0"]?["hasInstallScript"] == nil)
        #expect(short.tarball(named: "demo-0.9.0.tgz")?.integrity?.algorithm == .sha1)
        // Already abbreviated: unchanged.
        #expect(NSDictionary(dictionary: short.abbreviated().root) == NSDictionary(dictionary: short.root))
        #expect(try short.data().count * 5 < Data(full.utf8).count)
    }

    @Test("a package document that is not JSON is an error")
    func badDocument() {
        #expect(throws: LarderError.self) { try Packument(Data("<html>".utf8), source: "upstream") }
    }
}
