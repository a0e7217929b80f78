import Crypto
import Foundation
import LarderCore
import LarderEcosystems
import LarderTesting
import NIOCore
import Testing

@Suite("Go modules")
struct GoTests {
    @Test("case encoding: escape, unescape and what counts as an escaped path or version")
    func caseEncoding() {
        #expect(GoModulePath.escape("github.com/BurntSushi/toml") == "github.com/!burnt!sushi/toml")
        #expect(GoModulePath.unescape("github.com/!burnt!sushi/toml") == "github.com/BurntSushi/toml")
        #expect(GoModulePath.isEscapedPath("github.com/!burnt!sushi/toml"))
        #expect(GoModulePath.isEscapedPath("gopkg.in/yaml.v3"))
        for bad in ["github.com/BurntSushi", "a//b", "a/../b", "a/!", "a/!!b", "a/!1", "a b", "a/.git", "", "a/b%2f"] {
            #expect(!GoModulePath.isEscapedPath(bad), "\(bad)")
        }
        #expect(GoModulePath.isEscapedVersion("v1.0.0-!r!c1+incompatible"))
        #expect(!GoModulePath.isEscapedVersion("v1.0.0-RC1"))
        #expect(!GoModulePath.isEscapedVersion(".."))
    }

    @Test("h1 is the SHA-256 of the sorted '<sha256>  <name>' lines, base64")
    func h1() throws {
        let files = [("b/z.go", "package z\n"), ("a@v1/go.mod", "module a\n")]
        var lines = ""
        for (name, body) in files.sorted(by: { $0.0 < $1.0 }) {
            lines += "\(Data(SHA256.hash(data: Data(body.utf8))).hexDigest)  \(name)\n"
        }
        let expected = "h1:" + Data(SHA256.hash(data: Data(lines.utf8))).base64EncodedString()
        #expect(GoModuleHash.h1(files.map { ($0.0, Data(SHA256.hash(data: Data($0.1.utf8))).hexDigest) }) == expected)
    }

    @Test("a stored zip hashes as its entries; damaged, zip64-marked and unknown-method zips are refused")
    func zipReading() async throws {
        let directory = NSTemporaryDirectory() + "larder-go-zip-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var writer = ZipWriter()
        writer.add("m@v1.0.0/go.mod", Data("module m\n".utf8))
        writer.add("m@v1.0.0/a.go", Data("package m\n".utf8))
        let zip = writer.finish()
        try zip.write(to: URL(fileURLWithPath: directory + "/good.zip"))
        let expected = GoModuleHash.h1([("m@v1.0.0/go.mod", Data(SHA256.hash(data: Data("module m\n".utf8))).hexDigest), ("m@v1.0.0/a.go", Data(SHA256.hash(data: Data("package m\n".utf8))).hexDigest)])
        #expect(try await GoModuleHash.zip(at: directory + "/good.zip") == expected)

        var zip64 = zip
        let end = zip64.count - 22
        zip64[end + 10] = 0xFF
        zip64[end + 11] = 0xFF
        var method = zip
        method[8] = 99  // the first local header's compression method
        method[method.count - 22 - (46 + 15 + 46 + 13) + 10] = 99  // and its central directory entry
        for (name, data) in [("truncated", zip.prefix(zip.count - 30)), ("zip64", zip64), ("method", method), ("empty", Data()), ("text", Data("not a zip at all, but long enough to be read as one".utf8))] {
            try Data(data).write(to: URL(fileURLWithPath: "\(directory)/\(name).zip"))
            await #expect(throws: LarderError.self, "\(name)") { try await GoModuleHash.zip(at: "\(directory)/\(name).zip") }
        }
    }

    @Test("a lookup answer's records, and answers that are not one")
    func lookupRecords() throws {
        let body = "42\nlarder.test/M v1.0.0 h1:abc=\nlarder.test/M v1.0.0/go.mod h1:def=\n\ngo.sum database tree\n43\nAAAA\n\n— sum.golang.org x\n"
        #expect(try GoChecksumDatabase.records(ByteBuffer(string: body), module: "larder.test/M") == ["v1.0.0": "h1:abc=", "v1.0.0/go.mod": "h1:def="])
        for bad in ["<html></html>", "42\nother/module v1.0.0 h1:abc=\n\nnote\n", "x\nlarder.test/M v1.0.0 h1:abc=\n\nnote\n", "42\nlarder.test/M v1.0.0 h1:abc=\n"] {
            #expect(throws: LarderError.self) { try GoChecksumDatabase.records(ByteBuffer(string: bad), module: "larder.test/M") }
        }
        #expect(GoChecksumDatabase.isName("sum.golang.org"))
        #expect(!GoChecksumDatabase.isName("Sum.golang.org") && !GoChecksumDatabase.isName("a/b") && !GoChecksumDatabase.isName("a..b"))
    }

    @Test("version lists and ranges")
    func versions() throws {
        #expect(try GoDocuments.versions(ByteBuffer(string: "v1.0.0\nv1.1.0 2026-01-01T00:00:00Z\n\n")) == ["v1.0.0", "v1.1.0"])
        #expect(throws: LarderError.self) { try GoDocuments.versions(ByteBuffer(string: "<html>\n")) }
        let range = try GoAdapter(upstreams: []).versionRange(">=v1.2.0 <v2")
        #expect(range.contains("v1.9.0") && !range.contains("v2.0.0") && !range.contains("1.9.0"))
    }
}
