import Foundation
import LarderCore
@testable import LarderEcosystems
import Testing

@Suite("Maven: paths, checksums, versions, POMs")
struct MavenTests {
    static func path(_ text: String) throws -> MavenPath { try MavenPath(RequestPath(raw: "/" + text)) }

    @Test("repository paths: metadata and snapshots change, release files do not, checksums belong to their file")
    func classification() throws {
        #expect(try !Self.path("org/example/lib/1.0/lib-1.0.jar").isMutable)
        #expect(try Self.path("org/example/lib/1.0/lib-1.0.jar").checksumOf == nil)
        #expect(try Self.path("org/example/lib/maven-metadata.xml").isMutable)
        #expect(try Self.path("org/example/lib/maven-metadata.xml.sha1").isMutable)
        #expect(try Self.path("org/example/lib/1.0-SNAPSHOT/lib-1.0-20260101.120000-1.jar").isMutable)
        #expect(try Self.path("org/example/lib/1.0-SNAPSHOT/maven-metadata.xml").isMutable)
        let checksum = try #require(try Self.path("org/example/lib/1.0/lib-1.0.jar.sha1").checksumOf)
        #expect(checksum.path.description == "org/example/lib/1.0/lib-1.0.jar" && checksum.algorithm == .sha1)
        #expect(try Self.path("org/example/lib/1.0/lib-1.0.pom.sha512").checksumOf?.algorithm == .sha512)
        #expect(try Self.path("org/example/lib/1.0/lib-1.0.jar.asc").checksumOf == nil)
        #expect(throws: LarderError.self) { try Self.path("org/example/") }
        #expect(throws: LarderError.self) { try Self.path("lib.jar") }
        #expect(throws: LarderError.self) { try Self.path("org/.hidden/x.jar") }
        #expect(throws: LarderError.self) { try Self.path("org/a%2Fb/x.jar") }
        #expect(try Self.path("org/example/lib 1/x.jar").urlPath == "/org/example/lib%201/x.jar")
    }

    @Test("checksum files: bare, sha1sum style, BSD style; anything else has none")
    func checksumFiles() {
        let sha1 = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
        #expect(MavenChecksum.parse(sha1, algorithm: .sha1) == sha1)
        #expect(MavenChecksum.parse(sha1.uppercased() + "  lib-1.0.jar\n", algorithm: .sha1) == sha1)
        #expect(MavenChecksum.parse("SHA1 (lib-1.0.jar) = \(sha1)", algorithm: .sha1) == sha1)
        #expect(MavenChecksum.parse("<html>not found</html>", algorithm: .sha1) == nil)
        #expect(MavenChecksum.parse(sha1, algorithm: .md5) == nil)
    }

    /// Maven's own ordering tests (ComparableVersionTest): each list is strictly increasing.
    static let qualifierOrder = ["1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123"]
    static let numberOrder = ["2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"]

    @Test("versions order as Maven's ComparableVersion does", arguments: [qualifierOrder, numberOrder])
    func versionOrder(ordered: [String]) {
        for (i, lower) in ordered.enumerated() {
            for higher in ordered[(i + 1)...] {
                #expect(MavenVersion(lower) < MavenVersion(higher), "\(lower) < \(higher)")
                #expect(!(MavenVersion(higher) < MavenVersion(lower)), "not \(higher) < \(lower)")
            }
        }
    }

    @Test("equal versions", arguments: [
        ["1", "1.0", "1.0.0", "1-0", "1.0-0", "1ga", "1-ga", "1final", "1.final", "1release", "1-release"],
        ["1a1", "1alpha1", "1-a1", "1-alpha-1"], ["1b2", "1beta2", "1-b2"], ["1m3", "1milestone3", "1-m3"], ["1rc", "1cr", "1-rc", "1-cr"],
        ["99999999999999999999", "099999999999999999999"],
    ])
    func equalVersions(same: [String]) {
        for a in same { for b in same { #expect(MavenVersion(a) == MavenVersion(b), "\(a) == \(b)") } }
    }

    @Test("version ranges", arguments: [
        ("[1.0,2.0)", ["1.0", "1.5", "1.99"], ["0.9", "2.0", "2.1"]),
        ("[1.0,)", ["1.0", "7"], ["0.9", "1.0-rc1"]),
        ("(,1.0]", ["0.1", "1.0"], ["1.0.1"]),
        ("[1.2]", ["1.2", "1.2.0"], ["1.2.1"]),
        ("[1.0,1.2),(1.2,2.0]", ["1.1", "1.3", "2.0"], ["1.2", "2.1"]),
    ])
    func ranges(range: String, inside: [String], outside: [String]) throws {
        let parsed = try MavenVersionRange.parse(range)
        for v in inside { #expect(parsed.contains(v), "\(v) in \(range)") }
        for v in outside { #expect(!parsed.contains(v), "\(v) not in \(range)") }
    }

    @Test("malformed ranges are 400s", arguments: ["1.0", "[1.0", "[2.0,1.0]", "[1,2,3]", "(1.0)", "[]"])
    func badRanges(range: String) {
        #expect { try MavenVersionRange.parse(range) } throws: { ($0 as? LarderError)?.kind == .badRequest }
    }

    @Test("versions from maven-metadata.xml; the parent from a POM, comments ignored")
    func xml() {
        let metadata = "<metadata><versioning><!-- <version>0.1</version> --><versions><version>1.0</version>\n<version> 1.1 </version></versions></versioning></metadata>"
        #expect(MavenXML.versions(inMetadata: metadata) == ["1.0", "1.1"])
        #expect(MavenXML.versions(inMetadata: "not xml").isEmpty)
        let pom = "<project><!-- <parent><groupId>x</groupId></parent> --><parent>\n<groupId>org.example</groupId><artifactId>parent</artifactId>\n<version>3</version><relativePath/></parent><artifactId>a</artifactId></project>"
        let parent = MavenXML.parent(inPOM: pom)
        #expect(parent?.group == "org.example" && parent?.artifact == "parent" && parent?.version == "3")
        #expect(MavenXML.parent(inPOM: "<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>${revision}</version></parent></project>") == nil)
        #expect(MavenXML.parent(inPOM: "<project><parent><groupId>g") == nil)
    }

    @Test("package URL types and classifiers name the main file")
    func mainFiles() {
        #expect(MavenCoordinates.mainFile(type: nil, classifier: nil)! == (nil, "jar"))
        #expect(MavenCoordinates.mainFile(type: "pom", classifier: nil) == nil)
        #expect(MavenCoordinates.mainFile(type: "test-jar", classifier: nil)! == ("tests", "jar"))
        #expect(MavenCoordinates.mainFile(type: "war", classifier: nil)! == (nil, "war"))
        #expect(MavenCoordinates.mainFile(type: "jar", classifier: "sources")! == ("sources", "jar"))
        let coordinates = MavenCoordinates(group: "org.example", artifact: "lib", version: "1.0")
        #expect(coordinates.file(classifier: "sources", extension: "jar").description == "org/example/lib/1.0/lib-1.0-sources.jar")
        #expect(MavenCoordinates.metadata(group: "org.example", artifact: "lib").description == "org/example/lib/maven-metadata.xml")
    }
}
