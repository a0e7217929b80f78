import LarderCore
import Testing

@Suite("Request paths")
struct RequestPathTests {
    @Test("ordinary paths decode into segments", arguments: [
        ("/pypi/simple/requests/", ["pypi", "simple", "requests"], true),
        ("/npm/lodash", ["npm", "lodash"], false),
        ("/npm/@types%2fnode", ["npm", "@types/node"], false),
        ("/pypi/files/a/name%2Bplus-1.0.tar.gz", ["pypi", "files", "a", "name+plus-1.0.tar.gz"], false),
    ])
    func decodes(raw: String, segments: [String], trailing: Bool) throws {
        let path = try RequestPath(raw: raw)
        #expect(path.segments == segments)
        #expect(path.hasTrailingSlash == trailing)
    }

    @Test("tricks are refused with a 400", arguments: [
        "/pypi/../etc/passwd", "/pypi/%2e%2e/x", "/pypi/%2E%2e/x", "/pypi/./x", "/a/%00/b", "/a/b%0a", "/a\\b", "/a/%5c/b",
        "/a//b", "/a/%zz", "/a/%4", "relative/path", "/a/%ff%fe",
    ])
    func refuses(raw: String) {
        #expect(throws: LarderError.self) { try RequestPath(raw: raw) }
        do { _ = try RequestPath(raw: raw) } catch { #expect(error.status == 400) }
    }

    @Test("encoded slashes are flagged and refused unless an adapter accepts them")
    func encodedSlash() throws {
        let path = try RequestPath(raw: "/npm/@scope%2Fname/-/x.tgz")
        #expect(path.encodedSlashSegments == [1])
        #expect(throws: LarderError.self) { try path.requireNoEncodedSlash() }
        let below = path.dropping(first: 1)
        #expect(below.segments == ["@scope/name", "-", "x.tgz"])
        #expect(below.encodedSlashSegments == [0])
        try below.requireNoEncodedSlash(from: 1)
    }
}
