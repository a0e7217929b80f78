import Foundation
import LarderCore
import NIOCore
@testable import LarderEcosystems
import Testing

@Suite("PyPI simple API")
struct PyPITests {
    @Test("PEP 503 normalisation", arguments: [
        ("Django", "django"), ("zope.interface", "zope-interface"), ("Foo__Bar--baz", "foo-bar-baz"), ("a.-_b", "a-b"), ("ruamel.yaml.clib", "ruamel-yaml-clib"),
    ])
    func normalize(name: String, expected: String) {
        #expect(PyPIName.normalize(name) == expected)
    }

    @Test("project names are validated", arguments: ["-leading", "trailing.", "sp ace", "semi;colon", "ünï", ""])
    func invalidNames(name: String) {
        #expect(!PyPIName.isValid(name))
    }

    static let html = """
        <!DOCTYPE html><html><body>
        <A HREF="../../packages/demo-1.0.tar.gz#sha256=\(String(repeating: "a", count: 64))" data-requires-python="&gt;=3.8">demo-1.0.tar.gz</A><br>
        <a data-yanked="" href='https://files.example/demo-1.1-py3-none-any.whl#md5=\(String(repeating: "b", count: 32))'
           data-dist-info-metadata="sha256=\(String(repeating: "c", count: 64))" >demo-1.1-py3-none-any.whl</a>
        <a href="/demo-1.2.zip" data-yanked="bad &amp; broken" data-core-metadata="true">demo-1.2.zip</a>
        </body></html>
        """

    @Test("PEP 503 HTML pages parse: relative links, fragments, entities, yanked and metadata attributes")
    func parseHTML() throws {
        let page = try SimpleProject.parse(Data(Self.html.utf8), contentType: "text/html", sourceURL: "https://pypi.example/simple/demo/", fallbackName: "demo")
        #expect(page.files.map(\.filename) == ["demo-1.0.tar.gz", "demo-1.1-py3-none-any.whl", "demo-1.2.zip"])
        let first = page.files[0]
        #expect(first.url == "https://pypi.example/packages/demo-1.0.tar.gz")
        #expect(first.integrity?.algorithm == .sha256)
        #expect(first.requiresPython == ">=3.8")
        #expect(first.yanked == .no)
        #expect(page.files[1].yanked == .yes(reason: nil))
        #expect(page.files[1].integrity?.algorithm == .md5)
        #expect(page.files[1].coreMetadata == ["sha256": String(repeating: "c", count: 64)])
        #expect(page.files[2].url == "https://pypi.example/demo-1.2.zip")
        #expect(page.files[2].yanked == .yes(reason: "bad & broken"))
        #expect(page.files[2].coreMetadata == [:])
    }

    @Test("PEP 691 JSON pages parse, and both renderings keep every attribute with rewritten links")
    func jsonRoundTrip() throws {
        let json = """
            {"meta": {"api-version": "1.1"}, "name": "demo", "versions": ["1.0"],
             "files": [{"filename": "demo-1.0.whl", "url": "../../f/demo-1.0.whl", "hashes": {"sha256": "\(String(repeating: "d", count: 64))"},
                        "requires-python": "<4", "yanked": "oops", "core-metadata": {"sha256": "\(String(repeating: "e", count: 64))"}, "size": 12}]}
            """
        let page = try SimpleProject.parse(Data(json.utf8), contentType: SimpleProject.jsonType, sourceURL: "http://u.example/simple/demo/", fallbackName: "x")
        #expect(page.name == "demo")
        #expect(page.files[0].url == "http://u.example/f/demo-1.0.whl")
        let link: (SimpleFile) -> String = { "http://larder/pypi/files/demo/" + $0.filename }

        let rendered = try JSONSerialization.jsonObject(with: page.json(fileURL: link)) as! [String: Any]
        #expect((rendered["meta"] as? [String: String])?["api-version"] == "1.1")
        let file = (rendered["files"] as! [[String: Any]])[0]
        #expect(file["url"] as? String == "http://larder/pypi/files/demo/demo-1.0.whl")
        #expect(file["yanked"] as? String == "oops")
        #expect(file["requires-python"] as? String == "<4")
        #expect((file["core-metadata"] as? [String: String])?["sha256"] == String(repeating: "e", count: 64))

        let html = page.html(fileURL: link)
        let reparsed = try SimpleProject.parse(Data(html.utf8), contentType: "text/html", sourceURL: "http://larder/pypi/simple/demo/", fallbackName: "demo")
        #expect(reparsed.files[0].url == "http://larder/pypi/files/demo/demo-1.0.whl")
        #expect(reparsed.files[0].hashes == page.files[0].hashes)
        #expect(reparsed.files[0].requiresPython == "<4")
        #expect(reparsed.files[0].yanked == .yes(reason: "oops"))
        #expect(reparsed.files[0].coreMetadata == page.files[0].coreMetadata)
    }

    @Test("malformed upstream JSON is an error that names the page")
    func badJSON() {
        #expect(throws: (any Error).self) {
            try SimpleProject.parse(Data("[1,2".utf8), contentType: "application/vnd.pypi.simple.v1+json", sourceURL: "http://u/simple/x/", fallbackName: "x")
        }
    }

    @Test("HTML escaping round-trips", arguments: ["a<b>&\"c'", "plain", "&amp;literal", "&#x41;&#66;"])
    func escaping(text: String) {
        #expect(HTMLText.unescape(HTMLText.escape(text)) == text)
    }

    static func page(_ text: String, _ type: String?) throws {
        try SimplePageValidation.projectPage(ByteBuffer(string: text), contentType: type)
    }

    @Test("page validation accepts real pages (empty, JSON, extra links) and refuses what is not one")
    func pageValidation() throws {
        #expect(throws: Never.self) { try Self.page("<html><body><h1>Links</h1></body></html>", "text/html") }
        #expect(throws: Never.self) { try Self.page(#"{"meta":{"api-version":"1.0"},"name":"x","files":[]}"#, "application/vnd.pypi.simple.v1+json") }
        #expect(throws: Never.self) { try Self.page("<a href=\"../\">up</a><a href=\"x-1.0.tar.gz\">x-1.0.tar.gz</a>", "text/html") }
        #expect(throws: (any Error).self) { try Self.page("{}", "application/json") }
        #expect(throws: (any Error).self) { try Self.page("<a href=\"/a\">About us</a>", "text/html") }
        #expect(throws: (any Error).self) { try Self.page("<form action=/login><input type=\"password\"></form>", "text/html") }
        #expect(throws: (any Error).self) { try Self.page("%PDF-1.4", "application/pdf") }
    }
}
