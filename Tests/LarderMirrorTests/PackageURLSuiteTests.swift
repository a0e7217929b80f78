import Foundation
@testable import LarderMirror
import Testing

/// Every case of the Package URL specification's official test suite
/// (`../shared/corpora/purl/tests`): parse, build and validate, required and recommended.
@Suite("Package URL specification test suite")
struct PackageURLSuiteTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let description: String
        let testType: String
        let group: String
        let input: JSONValue
        let expected: JSONValue
        let expectedFailure: Bool
        /// Recommended cases show the normalisations of data in the wild: lenient parsing.
        var lenient: Bool { group == "recommended" }
        var testDescription: String { "\(file): \(testType) \(description) [\(input.text ?? "components")]" }
    }

    static func cases() throws -> [Case] {
        try Corpora.files(in: "purl/tests", suffixes: ["-test.json"]).flatMap { url -> [Case] in
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            return (root["tests"] as! [[String: Any]]).map { t in
                Case(
                    file: url.lastPathComponent, description: t["description"] as? String ?? "", testType: t["test_type"] as! String,
                    group: t["test_group"] as! String, input: JSONValue(t["input"]), expected: JSONValue(t["expected_output"]),
                    expectedFailure: t["expected_failure"] as? Bool ?? false)
            }
        }
    }

    @Test("the suite is all there")
    func suiteSize() throws {
        #expect(try Self.cases().count == 586)
    }

    @Test("each case", arguments: try cases())
    func run(_ c: Case) throws {
        switch c.testType {
        case "parse":
            let input = try #require(c.input.text)
            if c.expectedFailure {
                #expect(throws: PackageURLError.self) { try PackageURL(parsing: input, lenient: c.lenient) }
                return
            }
            let purl = try PackageURL(parsing: input, lenient: c.lenient)
            let expected = try #require(c.expected.object)
            #expect(purl.type == expected["type"] as? String)
            #expect(purl.namespace == expected["namespace"] as? String)
            #expect(purl.name == expected["name"] as? String)
            #expect(purl.version == expected["version"] as? String)
            #expect(purl.qualifiers == (expected["qualifiers"] as? [String: String] ?? [:]))
            #expect(purl.subpath == expected["subpath"] as? String)
        case "build":
            let components = try #require(c.input.object)
            let build = { () throws -> PackageURL in
                guard let type = components["type"] as? String, let name = components["name"] as? String else {
                    throw PackageURLError(.syntax, "type and name are required")
                }
                return try PackageURL(
                    type: type, namespace: components["namespace"] as? String, name: name, version: components["version"] as? String,
                    qualifiers: components["qualifiers"] as? [String: String] ?? [:], subpath: components["subpath"] as? String)
            }
            if c.expectedFailure {
                #expect(throws: PackageURLError.self) { try build() }
                return
            }
            #expect(try build().description == c.expected.text)
        case "validate":
            let input = try #require(c.input.text)
            if c.expectedFailure {
                #expect(throws: PackageURLError.self) { try PackageURL(parsing: input, lenient: c.lenient) }
                return
            }
            #expect(try PackageURL(parsing: input, lenient: c.lenient).description == c.expected.text)
        default:
            Issue.record("unknown test type \(c.testType)")
        }
    }
}

/// A JSON value from the suite, kept Sendable for parameterised tests.
struct JSONValue: @unchecked Sendable {
    let raw: Any?
    init(_ raw: Any?) { self.raw = raw is NSNull ? nil : raw }
    var text: String? { raw as? String }
    var object: [String: Any]? {
        guard let dict = raw as? [String: Any] else { return nil }
        return dict.compactMapValues { $0 is NSNull ? nil : $0 }
    }
}
