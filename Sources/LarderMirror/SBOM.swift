public import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A software bill of materials, reduced to what the mirror needs: its components and their
/// package URLs. CycloneDX (JSON and XML, 1.1 to 1.6) and SPDX (2.2/2.3 JSON and tag-value,
/// 3.0 JSON-LD) are read, recognised by their content rather than their file name.
public struct SBOM: Sendable {
    /// The document formats Larder reads.
    public enum Format: String, Sendable, Equatable {
        case cycloneDXJSON = "CycloneDX JSON"
        case cycloneDXXML = "CycloneDX XML"
        case spdxJSON = "SPDX JSON"
        case spdxTagValue = "SPDX tag-value"
        case spdx3JSON = "SPDX 3 JSON-LD"
    }

    /// The document's format.
    public var format: Format
    /// The specification version the document declares, if any.
    public var specVersion: String?
    /// Every component (package) the document lists, in document order.
    public var components: [SBOMComponent]

    /// The distinct valid package URLs of the components, in document order.
    public var packageURLs: [PackageURL] {
        components.compactMap { try? $0.packageURL?.get() }.uniqued()
    }

    /// Reads a document, detecting its format from its content.
    public static func read(_ data: Data) throws(SBOMError) -> SBOM {
        guard let first = data.first(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 || $0 == 0xef || $0 == 0xbb || $0 == 0xbf) }) else {
            throw SBOMError("the document is empty")
        }
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["): return try readJSON(data)
        case UInt8(ascii: "<"): return try CycloneDXXMLReader.read(data)
        default:
            let text = String(decoding: data.prefix(64 << 10), as: UTF8.self)
            if text.contains("SPDXVersion:") { return try SPDXTagValueReader.read(String(decoding: data, as: UTF8.self)) }
            throw SBOMError("the document is neither JSON, XML nor SPDX tag-value: Larder reads CycloneDX (JSON, XML) and SPDX (JSON, tag-value) SBOMs")
        }
    }

    private static func readJSON(_ data: Data) throws(SBOMError) -> SBOM {
        guard !NestingLimit.exceeded(inJSON: data) else { throw SBOMError(NestingLimit.message("document")) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SBOMError("the document is not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw SBOMError("the JSON document is not an object") }
        if (root["bomFormat"] as? String)?.lowercased() == "cyclonedx" {
            return SBOM(format: .cycloneDXJSON, specVersion: root["specVersion"] as? String, components: CycloneDXJSON.components(root))
        }
        if let version = root["spdxVersion"] as? String {
            return SBOM(format: .spdxJSON, specVersion: version, components: SPDXJSON.components(root))
        }
        if let graph = root["@graph"] as? [[String: Any]], "\(root["@context"] ?? "")".lowercased().contains("spdx") {
            return SBOM(format: .spdx3JSON, specVersion: SPDXJSON.version3(graph), components: SPDXJSON.components3(graph))
        }
        throw SBOMError("the JSON document is neither CycloneDX (no \"bomFormat\") nor SPDX (no \"spdxVersion\" or SPDX \"@graph\")")
    }
}

/// One component of an SBOM.
public struct SBOMComponent: Sendable, Equatable {
    /// Its name, as the document gives it.
    public var name: String
    /// Its version, if given.
    public var version: String?
    /// Its package URL: nil when the document gives none, a failure when the one given is
    /// invalid (the mirror reports both rather than skipping them silently).
    public var packageURL: Result<PackageURL, PackageURLError>?

    /// Creates a component, parsing `purl` leniently when given.
    public init(name: String, version: String?, purl: String?) {
        self.name = name
        self.version = version
        let trimmed = purl?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmed, !trimmed.isEmpty {
            self.packageURL = Result { () throws(PackageURLError) in try PackageURL(parsing: trimmed, lenient: true) }
        } else {
            self.packageURL = nil
        }
    }
}

/// An SBOM that cannot be read, with what is wrong.
public struct SBOMError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What is wrong.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

enum CycloneDXJSON {
    /// The components (nested ones too); `metadata.component`, the product the SBOM describes,
    /// is not one of them.
    static func components(_ root: [String: Any]) -> [SBOMComponent] {
        var out: [SBOMComponent] = []
        func walk(_ list: Any?) {
            for item in list as? [[String: Any]] ?? [] {
                out.append(SBOMComponent(name: item["name"] as? String ?? "", version: item["version"] as? String, purl: item["purl"] as? String))
                walk(item["components"])
            }
        }
        walk(root["components"])
        return out
    }
}

enum SPDXJSON {
    static func components(_ root: [String: Any]) -> [SBOMComponent] {
        (root["packages"] as? [[String: Any]] ?? []).map { package in
            let purl = (package["externalRefs"] as? [[String: Any]] ?? []).first { ($0["referenceType"] as? String)?.lowercased() == "purl" }?["referenceLocator"] as? String
            return SBOMComponent(name: package["name"] as? String ?? "", version: package["versionInfo"] as? String, purl: purl)
        }
    }

    static func components3(_ graph: [[String: Any]]) -> [SBOMComponent] {
        graph.filter { ($0["type"] as? String) == "software_Package" }.map { package in
            let identifier = (package["externalIdentifier"] as? [[String: Any]] ?? []).first { ($0["externalIdentifierType"] as? String) == "packageUrl" }?["identifier"] as? String
            return SBOMComponent(name: package["name"] as? String ?? "", version: package["software_packageVersion"] as? String, purl: package["software_packageUrl"] as? String ?? identifier)
        }
    }

    static func version3(_ graph: [[String: Any]]) -> String? {
        graph.first { ($0["type"] as? String) == "CreationInfo" }?["specVersion"] as? String
    }
}

enum SPDXTagValueReader {
    static func read(_ text: String) throws(SBOMError) -> SBOM {
        var version: String?
        var components: [SBOMComponent] = []
        var current: (name: String, version: String?, purl: String?)?
        func flush() {
            if let c = current { components.append(SBOMComponent(name: c.name, version: c.version, purl: c.purl)) }
            current = nil
        }
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("#") else { continue }
            let tag = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch tag {
            case "SPDXVersion": version = value
            case "PackageName":
                flush()
                current = (value, nil, nil)
            case "PackageVersion": current?.version = value
            case "ExternalRef":
                let parts = value.split(separator: " ", maxSplits: 2).map(String.init)
                if parts.count == 3, parts[1].lowercased() == "purl", current?.purl == nil { current?.purl = parts[2] }
            case "FileName", "SnippetSPDXID", "LicenseID", "Relationship": flush()
            default: break
            }
        }
        flush()
        guard let version else { throw SBOMError("the tag-value document has no SPDXVersion") }
        return SBOM(format: .spdxTagValue, specVersion: version, components: components)
    }
}

/// Reads CycloneDX XML with a streaming parser: components at any depth, with their direct
/// `name`, `version` and `purl` children.
final class CycloneDXXMLReader: NSObject, XMLParserDelegate {
    private var path: [String] = []
    /// How many `metadata` elements are open (their `component` is the product, not a dependency).
    private var inMetadata = 0
    /// Set when the document nests deeper than the limit; parsing stops.
    private var tooDeep = false
    /// Components in the order their elements open; `open` holds the indexes of those not closed.
    private var found: [(name: String, version: String?, purl: String?)] = []
    private var open: [Int] = []
    private var text = ""
    var components: [SBOMComponent] { found.map { SBOMComponent(name: $0.name, version: $0.version, purl: $0.purl) } }
    private var namespace: String?
    private var sawBOM = false
    private var rootClosed = false

    static func read(_ data: Data) throws(SBOMError) -> SBOM {
        // FoundationXML crashes on some invalid UTF-8 in element names (found by fuzzing), so
        // only valid UTF-8 reaches it.
        guard String(validating: data, as: UTF8.self) != nil else {
            throw SBOMError("the XML document is not valid UTF-8; Larder reads UTF-8 SBOMs")
        }
        let reader = CycloneDXXMLReader()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse() else {
            if reader.tooDeep { throw SBOMError(NestingLimit.message("XML document")) }
            throw SBOMError("the XML document is malformed at line \(parser.lineNumber): \(parser.parserError?.localizedDescription ?? "parse error")")
        }
        guard reader.sawBOM else { throw SBOMError("the XML document is not a CycloneDX BOM (its root element is not <bom>)") }
        guard reader.rootClosed else { throw SBOMError("the XML document is malformed: it ends before </bom> (truncated?)") }
        let version = reader.namespace.flatMap { $0.split(separator: "/").last.map(String.init) }
        return SBOM(format: .cycloneDXXML, specVersion: version, components: reader.components)
    }

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if path.isEmpty {
            sawBOM = element == "bom"
            namespace = namespaceURI
        }
        path.append(element)
        guard path.count <= NestingLimit.depth else {
            tooDeep = true
            parser.abortParsing()
            return
        }
        text = ""
        if element == "metadata" { inMetadata += 1 }
        // metadata/component is the product described, not a dependency.
        if element == "component" && inMetadata == 0 {
            found.append(("", nil, nil))
            open.append(found.count - 1)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, foundCDATA block: Data) { text += String(decoding: block, as: UTF8.self) }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        path.removeLast()
        if element == "metadata" { inMetadata -= 1 }
        if path.isEmpty { rootClosed = true }
        let parentIsComponent = path.last == "component" && inMetadata == 0
        if parentIsComponent, let index = open.last {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            switch element {
            case "name": found[index].name = value
            case "version": found[index].version = value
            case "purl": found[index].purl = value
            default: break
            }
        }
        if element == "component" && inMetadata == 0 { _ = open.popLast() }
        text = ""
    }
}
