import Foundation

/// A Package URL (`pkg:type/namespace/name@version?qualifiers#subpath`), as specified by
/// ECMA-427: parsed from a string or built from components, normalised by the rules of its
/// type, and printed in canonical form.
public struct PackageURL: Sendable, Hashable, CustomStringConvertible {
    /// The package type (`npm`, `pypi`, `maven`, …), lower case.
    public private(set) var type: String
    /// The namespace (npm scope with its `@`, Maven group id, …), segments joined by `/`.
    public private(set) var namespace: String?
    /// The name.
    public private(set) var name: String
    /// The version, if any.
    public private(set) var version: String?
    /// Qualifiers, keys lower case, empty values dropped.
    public private(set) var qualifiers: [String: String]
    /// A path inside the package, segments joined by `/`.
    public private(set) var subpath: String?

    /// Builds a package URL from decoded components, normalising and checking them.
    public init(type: String, namespace: String? = nil, name: String, version: String? = nil, qualifiers: [String: String] = [:], subpath: String? = nil) throws(PackageURLError) {
        try self.init(type: type, namespace: namespace, name: name, version: version, qualifiers: qualifiers, subpath: subpath, lenient: false)
    }

    private init(type: String, namespace: String?, name: String, version: String?, qualifiers: [String: String], subpath: String?, lenient: Bool) throws(PackageURLError) {
        try Self.checkType(type)
        self.type = type.lowercased()
        let segments = namespace.map { $0.split(separator: "/").map(String.init).filter { !$0.isEmpty } } ?? []
        self.namespace = segments.isEmpty ? nil : segments.joined(separator: "/")
        guard !name.isEmpty else { throw PackageURLError(.syntax, "a package URL needs a name") }
        self.name = name
        self.version = version.flatMap { $0.isEmpty ? nil : $0 }
        var kept: [String: String] = [:]
        for (key, value) in qualifiers {
            let lower = key.lowercased()
            try Self.checkQualifierKey(lower, as: key)
            if !value.isEmpty { kept[lower] = value }
        }
        self.qualifiers = kept
        self.subpath = subpath.flatMap(Self.cleanSubpath)
        try applyTypeRules(lenient: lenient)
    }

    /// Parses a package URL string. Strict parsing follows the specification's required rules;
    /// `lenient` also applies the normalisations it recommends for data found in the wild
    /// (upper-case qualifier keys are lower-cased, for one), as SBOM readers want.
    public init(parsing string: String, lenient: Bool = false) throws(PackageURLError) {
        var rest = Substring(string.trimmingCharacters(in: .whitespaces))
        guard let colon = rest.firstIndex(of: ":") else {
            throw PackageURLError(.syntax, "'\(string)' is not a package URL: it must start with 'pkg:'")
        }
        guard rest[..<colon].lowercased() == "pkg" else {
            throw PackageURLError(.syntax, "'\(string)' is not a package URL: the scheme must be 'pkg', not '\(rest[..<colon])'")
        }
        rest = rest[rest.index(after: colon)...]

        var subpath: String?
        if let hash = rest.firstIndex(of: "#") {
            subpath = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        var qualifiers: [String: String] = [:]
        if let question = rest.firstIndex(of: "?") {
            qualifiers = try Self.parseQualifiers(rest[rest.index(after: question)...], lenient: lenient)
            rest = rest[..<question]
        }
        while rest.first == "/" { rest = rest.dropFirst() }
        guard let slash = rest.firstIndex(of: "/") else {
            throw PackageURLError(.syntax, "'\(string)' has no name: expected pkg:type/name")
        }
        let type = String(rest[..<slash])
        try Self.checkType(type)
        rest = rest[rest.index(after: slash)...]
        while rest.last == "/" { rest = rest.dropLast() }

        // The version follows the last '@' of the last segment (an npm scope's '@' may be unencoded).
        var version: String?
        let lastSlash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let at = rest[lastSlash...].lastIndex(of: "@") {
            version = try Self.decode(rest[rest.index(after: at)...], "version")
            rest = rest[..<at]
            guard !rest.isEmpty, rest.last != "/" else { throw PackageURLError(.syntax, "'\(string)' has no name before its version") }
        }
        var segments = try rest.split(separator: "/", omittingEmptySubsequences: true).map { segment throws(PackageURLError) -> String in
            let decoded = try Self.decode(segment, "path")
            guard !decoded.contains("/") else { throw PackageURLError(.syntax, "a namespace or name segment may not contain an encoded '/'") }
            return decoded
        }
        guard !segments.isEmpty else { throw PackageURLError(.syntax, "'\(string)' has no name") }
        let name: String
        let namespace: [String]
        if PackageURLType.rules(for: type.lowercased()).nameSpansPath && segments.count > 1 {
            namespace = [segments.removeFirst()]
            name = segments.joined(separator: "/")
        } else {
            name = segments.removeLast()
            namespace = segments
        }
        let decodedSubpath = try subpath.map { raw throws(PackageURLError) -> String in
            try raw.split(separator: "/").map { segment throws(PackageURLError) in try Self.decode(segment, "subpath") }.joined(separator: "/")
        }
        try self.init(
            type: type, namespace: namespace.isEmpty ? nil : namespace.joined(separator: "/"), name: name,
            version: version, qualifiers: qualifiers, subpath: decodedSubpath, lenient: lenient)
    }

    /// The canonical string form.
    public var description: String {
        var out = "pkg:\(type)/"
        if let namespace {
            out += namespace.split(separator: "/").map { Self.encode(String($0)) }.joined(separator: "/") + "/"
        }
        out += name.split(separator: "/", omittingEmptySubsequences: false).map { Self.encode(String($0)) }.joined(separator: "/")
        if let version { out += "@" + Self.encode(version) }
        if !qualifiers.isEmpty {
            out += "?" + qualifiers.keys.sorted().map { "\($0)=\(Self.encode(qualifiers[$0]!))" }.joined(separator: "&")
        }
        if let subpath {
            out += "#" + subpath.split(separator: "/").map { Self.encode(String($0)) }.joined(separator: "/")
        }
        return out
    }

    // MARK: Rules

    private mutating func applyTypeRules(lenient: Bool) throws(PackageURLError) {
        let rules = PackageURLType.rules(for: type)
        switch rules.namespace {
        case .required where namespace == nil:
            throw PackageURLError(.typeRule, "a \(type) package URL needs a namespace")
        case .prohibited where namespace != nil:
            throw PackageURLError(.typeRule, "a \(type) package URL has no namespace, got '\(namespace!)'")
        default: break
        }
        if rules.namespaceLowercased { namespace = namespace?.lowercased() }
        if rules.nameLowercased { name = name.lowercased() }
        if let normalize = rules.normalizeName { name = normalize(name) }
        if let normalize = rules.normalizeNameWithQualifiers { name = normalize(name, qualifiers) }
        if lenient && rules.lenientLowercase {
            namespace = namespace?.lowercased()
            name = name.lowercased()
        }
        if !rules.nameSpansPath && name.contains("/") {
            throw PackageURLError(.syntax, "a \(type) name may not contain '/': '\(name)'")
        }
        if rules.versionLowercased { version = version?.lowercased() }
        for key in rules.requiredQualifiers where qualifiers[key] == nil {
            throw PackageURLError(.typeRule, "a \(type) package URL needs the qualifier '\(key)'")
        }
        if let message = rules.check?(self) { throw PackageURLError(.typeRule, message) }
    }

    private static func checkType(_ type: String) throws(PackageURLError) {
        guard let first = type.unicodeScalars.first else { throw PackageURLError(.syntax, "a package URL needs a type") }
        guard ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
            throw PackageURLError(.syntax, "the type '\(type)' must start with a letter")
        }
        guard type.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "-" || $0 == "+") }) else {
            throw PackageURLError(.syntax, "the type '\(type)' may only hold letters, digits, '.', '+' and '-'")
        }
    }

    private static func checkQualifierKey(_ key: String, as given: String) throws(PackageURLError) {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else {
            throw PackageURLError(.syntax, "the qualifier key '\(given)' must start with a letter")
        }
        guard key.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_" }) else {
            throw PackageURLError(.syntax, "the qualifier key '\(given)' may only hold letters, digits, '.', '-' and '_'")
        }
    }

    private static func parseQualifiers(_ raw: Substring, lenient: Bool) throws(PackageURLError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in raw.split(separator: "&") {
            guard let eq = pair.firstIndex(of: "=") else { throw PackageURLError(.syntax, "the qualifier '\(pair)' has no '='") }
            let given = String(pair[..<eq])
            if !lenient, let first = given.unicodeScalars.first, ("A"..."Z").contains(first) {
                throw PackageURLError(.syntax, "the qualifier key '\(given)' must be lower case")
            }
            let key = given.lowercased()
            try checkQualifierKey(key, as: given)
            guard result[key] == nil else { throw PackageURLError(.syntax, "the qualifier '\(key)' is given twice") }
            result[key] = try decode(pair[pair.index(after: eq)...], "qualifier value")
        }
        return result
    }

    private static func cleanSubpath(_ subpath: String) -> String? {
        let segments = subpath.split(separator: "/").filter { $0 != "." && $0 != ".." && !$0.isEmpty }
        return segments.isEmpty ? nil : segments.joined(separator: "/")
    }

    // MARK: Percent-encoding

    private static func decode(_ raw: Substring, _ component: String) throws(PackageURLError) -> String {
        guard raw.contains("%") else { return String(raw) }
        guard let decoded = raw.removingPercentEncoding else {
            throw PackageURLError(.syntax, "the \(component) '\(raw)' has a malformed percent escape")
        }
        return decoded
    }

    /// Percent-encodes everything but unreserved characters and ':'.
    static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
