import Foundation
@testable import LarderMirror
import Testing

@Suite("SBOM readers")
struct SBOMTests {
    static func read(_ file: String) throws -> SBOM {
        try SBOM.read(Data(contentsOf: Corpora.root.appendingPathComponent(file)))
    }

    @Test("every SBOM in the corpora is read without error, its format recognised by content")
    func everyCorpusFile() throws {
        let files = try Corpora.files(in: "cyclonedx", suffixes: [".json", ".xml"]) + Corpora.files(in: "spdx", suffixes: [".json"])
        #expect(files.count >= 50)
        for file in files {
            let sbom = try SBOM.read(Data(contentsOf: file))
            let name = file.lastPathComponent
            if name.hasSuffix(".xml") { #expect(sbom.format == .cycloneDXXML, "\(name)") }
            if file.path.contains("/cyclonedx/") && name.hasSuffix(".json") { #expect(sbom.format == .cycloneDXJSON, "\(name)") }
            if name.contains("spdx3") || name.contains("spdx3.0") { #expect(sbom.format == .spdx3JSON, "\(name)") }
            if name.contains("spdx2") { #expect(sbom.format == .spdxJSON, "\(name)") }
        }
    }

    @Test("CycloneDX: the same 62 package URLs from XML 1.1 to JSON 1.4; the described product is not a component")
    func laravelAcrossVersions() throws {
        let reference = try Self.read("cyclonedx/SBOM_laravel-7.12.0_bom.1.4.json")
        #expect(reference.specVersion == "1.4")
        #expect(reference.packageURLs.count == 62)
        #expect(reference.packageURLs.first?.description == "pkg:composer/asm89/stack-cors@1.3.0")
        #expect(reference.packageURLs.last?.description == "pkg:composer/voku/portable-ascii@1.6.1")
        #expect(!reference.packageURLs.contains { $0.name == "cyclonedx-php-composer-demo" })
        for file in ["bom.1.1.xml", "bom.1.2.xml", "bom.1.2.json", "bom.1.3.xml", "bom.1.3.json", "bom.1.4.xml"] {
            let other = try Self.read("cyclonedx/SBOM_laravel-7.12.0_\(file)")
            #expect(other.packageURLs == reference.packageURLs, "\(file)")
        }
        #expect(try Self.read("cyclonedx/SBOM_laravel-7.12.0_bom.1.1.xml").specVersion == "1.1")
    }

    @Test("CycloneDX: large real SBOMs, JSON and XML agreeing")
    func largeSBOMs() throws {
        let juice = try Self.read("cyclonedx/SBOM_juice-shop_v11.1.2_bom.json")
        #expect(juice.packageURLs.count == 840)
        #expect(juice.packageURLs.allSatisfy { $0.type == "npm" })
        let dropwizard = try Self.read("cyclonedx/SBOM_dropwizard-1.3.15_bom.json")
        #expect(dropwizard.packageURLs.count == 167)
        #expect(dropwizard.packageURLs.first?.description == "pkg:maven/com.fasterxml.jackson.core/jackson-annotations@2.9.10?type=jar")
        #expect(try Self.read("cyclonedx/SBOM_dropwizard-1.3.15_bom.xml").packageURLs == dropwizard.packageURLs)
    }

    @Test("SPDX 2.3 JSON and SPDX 3.0 JSON-LD give the same package URLs")
    func spdx() throws {
        let expected = ["pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x", "pkg:cargo/hyper@0.14", "pkg:cargo/tokio@1.19.2", "pkg:cargo/pretty_env_logger@0.4.0"]
        let v2 = try Self.read("spdx/software_example11_spdx2.3_sbom.spdx.json")
        #expect(v2.specVersion == "SPDX-2.3")
        #expect(v2.packageURLs.map(\.description) == expected)
        let v3 = try Self.read("spdx/software_example11_spdx3.0_sbom.spdx3.json")
        #expect(v3.specVersion == "3.0.1")
        #expect(v3.packageURLs.map(\.description) == expected)
        let dependency = try Self.read("spdx/presentations_OSS-NA-2023_SPDXVersion2.3_03-SBOMwDependency.json")
        #expect(dependency.packageURLs.map(\.description) == ["pkg:github/spdx/tools-java@2235d5d7f7fe46ce1e0d54b7831c5681633b25cc", "pkg:maven/org.webjars.npm/xlsx@0.16.6"])
    }

    @Test("packages without a package URL are kept as components, not silently dropped")
    func componentsWithoutPurl() throws {
        let sbom = try Self.read("spdx/software_example7_spdx2.2_example7-golang.spdx.json")
        #expect(!sbom.components.isEmpty)
        #expect(sbom.components.allSatisfy { $0.packageURL == nil })
        #expect(sbom.packageURLs.isEmpty)
        for name in ["CBOM_Example-With-Dependencies_bom.json", "HBOM_PCIe-SATA-adapter-board_bom.json", "SaaSBOM_apigateway-microservices-datastores_bom.json"] {
            #expect(try Self.read("cyclonedx/\(name)").packageURLs.isEmpty)
        }
    }

    @Test("SPDX tag-value")
    func tagValue() throws {
        let text = """
            SPDXVersion: SPDX-2.3
            DataLicense: CC0-1.0
            # a comment: with a colon
            PackageName: lodash
            PackageVersion: 4.17.21
            ExternalRef: PACKAGE-MANAGER purl pkg:npm/lodash@4.17.21
            PackageName: requests
            PackageVersion: 2.31.0
            ExternalRef: PACKAGE_MANAGER purl pkg:pypi/Requests@2.31.0
            PackageName: no-purl
            ExternalRef: SECURITY cpe23Type cpe:2.3:a:x:y:1:*:*:*:*:*:*:*
            PackageName: broken
            ExternalRef: PACKAGE-MANAGER purl pkg:npm
            """
        let sbom = try SBOM.read(Data(text.utf8))
        #expect(sbom.format == .spdxTagValue)
        #expect(sbom.specVersion == "SPDX-2.3")
        #expect(sbom.components.map(\.name) == ["lodash", "requests", "no-purl", "broken"])
        #expect(sbom.packageURLs.map(\.description) == ["pkg:npm/lodash@4.17.21", "pkg:pypi/requests@2.31.0"])
        #expect(sbom.components[2].packageURL == nil)
        guard case .failure(let error)? = sbom.components[3].packageURL else {
            Issue.record("an invalid purl should be reported")
            return
        }
        #expect(error.message.contains("no name"))
    }

    @Test("documents that are not SBOMs get a clear error", arguments: [
        ("", "empty"), ("{\"name\": \"x\"}", "neither CycloneDX"), ("[1, 2]", "not an object"), ("{\"bomFormat\": ", "not valid JSON"),
        ("<html><body/></html>", "not a CycloneDX BOM"), ("<bom><components>", "malformed"), ("hello world", "neither JSON"),
        ("PackageName: x\n", "neither JSON"),
    ])
    func notSBOMs(text: String, fragment: String) {
        #expect(throws: SBOMError.self) { try SBOM.read(Data(text.utf8)) }
        do {
            _ = try SBOM.read(Data(text.utf8))
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("XML that is not UTF-8 is refused before it reaches the XML parser (which crashes on some)")
    func invalidUTF8XML() throws {
        var bytes = Array("<?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components><comp".utf8)
        bytes += [0xc9, 0x41]
        bytes += Array("onent/></components></bom>".utf8)
        #expect { try SBOM.read(Data(bytes)) } throws: { ($0 as? SBOMError)?.message.contains("UTF-8") == true }
    }

    /// A CycloneDX XML document whose components nest `depth` deep.
    static func nestedXML(_ depth: Int) -> Data {
        var text = #"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>"#
        for level in 0..<depth { text += "<component><name>c\(level)</name><purl>pkg:npm/c\(level)@1.0.0</purl><components>" }
        text += String(repeating: "</components></component>", count: depth) + "</components></bom>"
        return Data(text.utf8)
    }

    /// A CycloneDX JSON document whose components nest `depth` deep.
    static func nestedJSON(_ depth: Int) -> Data {
        var text = #"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "#
        for level in 0..<depth { text += #"[{"name": "c\#(level)", "purl": "pkg:npm/c\#(level)@1.0.0", "components": "# }
        text += "[]" + String(repeating: "}]", count: depth) + "}"
        return Data(text.utf8)
    }

    @Test("documents nested deeper than 256 levels are refused at once; real nesting still reads")
    func nesting() throws {
        // 100 components inside each other: about 200 levels, read in full.
        #expect(try SBOM.read(Self.nestedXML(100)).components.count == 100)
        #expect(try SBOM.read(Self.nestedJSON(100)).components.count == 100)
        // 100,000 levels took minutes in the XML reader and would overflow the stack in a
        // recursive one; both are refused when the limit is crossed.
        for data in [Self.nestedXML(100_000), Self.nestedJSON(100_000), Data((String(repeating: "[", count: 1_000_000)).utf8)] {
            #expect { try SBOM.read(data) } throws: { ($0 as? SBOMError)?.message.contains("nests deeper than 256 levels") == true }
        }
        // Brackets inside strings are not nesting.
        var quoted = Self.nestedJSON(1)
        quoted.append(contentsOf: Array(" ".utf8))
        let inString = #"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"name": "\#(String(repeating: "[{", count: 1000))"}}, "components": []}"#
        #expect(try SBOM.read(Data(inString.utf8)).components.isEmpty)
        #expect(try SBOM.read(quoted).components.count == 1)
    }

    @Test("mutated and truncated SBOMs never crash the readers")
    func fuzz() throws {
        let seeds = try ["cyclonedx/SBOM_laravel-7.12.0_bom.1.2.xml", "cyclonedx/SBOM_laravel-7.12.0_bom.1.3.json", "spdx/software_example11_spdx2.3_sbom.spdx.json", "spdx/software_example11_spdx3.0_sbom.spdx3.json"]
            .map { try Data(contentsOf: Corpora.root.appendingPathComponent($0)) }
        var random = PackageURLFuzzTests.Generator(state: 0x0bad_5eed)
        func next(_ bound: Int) -> Int { random.next(bound) }
        var read = 0
        for _ in 0..<1_000 {
            var bytes = [UInt8](seeds[next(seeds.count)])
            switch next(3) {
            case 0: bytes = Array(bytes[..<next(bytes.count)])
            case 1: for _ in 0..<8 { bytes[next(bytes.count)] = UInt8(next(256)) }
            default: bytes.insert(contentsOf: Array("<\"{}]&#".utf8), at: next(bytes.count))
            }
            do {
                _ = try SBOM.read(Data(bytes))
                read += 1
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(read < 1_000)
    }
}
