import Foundation
import LarderCore
import Testing

@Suite("LRU cache, content negotiation, HTTP dates")
struct SmallPartsTests {
    @Test("the LRU cache evicts least recently used entries beyond its cost")
    func lru() {
        let cache = LRUCache<String, Int>(capacity: 10)
        cache.set("a", 1, cost: 4)
        cache.set("b", 2, cost: 4)
        _ = cache.get("a")
        cache.set("c", 3, cost: 4)
        #expect(cache.get("b") == nil)
        #expect(cache.get("a") == 1)
        #expect(cache.get("c") == 3)
        #expect(cache.totalCost == 8)
        cache.set("huge", 9, cost: 11)
        #expect(cache.get("huge") == nil)
        cache.set("a", 5, cost: 1)
        #expect(cache.totalCost == 5)
        cache.remove("a")
        #expect(cache.count == 1)
    }

    @Test("Accept negotiation honours q-values, specificity and the server's order")
    func negotiation() {
        let offered = ["text/html", "application/vnd.pypi.simple.v1+json"]
        #expect(MediaRange.preferred(nil, available: offered) == "text/html")
        #expect(MediaRange.preferred("*/*", available: offered) == "text/html")
        #expect(MediaRange.preferred("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1, text/html;q=0.01", available: offered) == "application/vnd.pypi.simple.v1+json")
        #expect(MediaRange.preferred("text/*;q=0.5, application/*;q=0.9", available: offered) == "application/vnd.pypi.simple.v1+json")
        #expect(MediaRange.preferred("image/png", available: offered) == nil)
        #expect(MediaRange.preferred("text/html;q=0, */*", available: offered) == "application/vnd.pypi.simple.v1+json")
    }

    @Test("Accept-Encoding: gzip is taken when named or covered by *, never when refused with q=0", arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("br;q=1.0, gzip;q=0.8, *;q=0.1", true), ("x-gzip", true), ("*", true),
        ("GZIP", true), ("gzip;q=0", false), ("*, gzip;q=0", false), ("deflate, br", false), ("identity", false), ("", false),
        ("gzip;q=0.000", false), ("*;q=0", false),
    ])
    func acceptEncoding(header: String, gzip: Bool) {
        #expect(AcceptEncoding.allowsGzip(header) == gzip)
    }

    @Test("HTTP dates round-trip")
    func dates() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("yesterday") == nil)
    }
}
