import Crypto
import Foundation
import LarderCore
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// `/gem/` over HTTP, in front of a fixture RubyGems source with hand-written indexes.
@Suite("RubyGems source")
struct RubyGemsServerTests {
    static let gem = PackageFile(filename: "rack-ish-2.0.0.gem", data: Data("a gem called rack-ish".utf8))
    static let platformGem = PackageFile(filename: "rack-ish-2.0.0-x86_64-linux.gem", data: Data("a platform gem called rack-ish".utf8))

    static func publish(_ upstream: FixtureRegistry) {
        let info = "---\n2.0.0 |checksum:\(gem.sha256),ruby:>= 2.7\n2.0.0-x86_64-linux |checksum:\(platformGem.sha256)\n"
        upstream.set("/info/rack-ish", body: ByteBuffer(string: info), contentType: "text/plain")
        upstream.set("/versions", body: ByteBuffer(string: "created_at: 2026-11-01T00:00:00Z\n---\nrack-ish 2.0.0,2.0.0-x86_64-linux 0123\n"), contentType: "text/plain")
        upstream.set("/gems/\(gem.filename)", body: ByteBuffer(bytes: gem.data))
        upstream.set("/gems/\(platformGem.filename)", body: ByteBuffer(bytes: platformGem.data))
    }

    static func larder(_ upstream: FixtureRegistry, ttl: Duration = .seconds(300)) async throws -> TestLarder {
        try await TestLarder {
            try $0.setUpstream("rubygems", upstream.url)
            $0.engine.metadataTTL = ttl
        }
    }

    @Test("versions and info carry the quoted MD5 of their body as ETag; the root answers as versions; gems of every platform are checked against info")
    func compactIndex() async throws {
        let upstream = try await FixtureRegistry()
        Self.publish(upstream)
        let larder = try await Self.larder(upstream)
        try await larder.stopping(upstream) {
            for path in ["/gem/versions", "/gem/info/rack-ish"] {
                let answer = try await RawHTTP.send(port: larder.port, target: path)
                #expect(answer.status == 200)
                let md5 = Insecure.MD5.hash(data: answer.body).hexDigest
                #expect(answer.headers["etag"] == "\"\(md5)\"", "\(path)")
            }
            #expect(try await RawHTTP.send(port: larder.port, method: "HEAD", target: "/gem/").status == 200)
            for file in [Self.gem, Self.platformGem] {
                let answer = try await RawHTTP.send(port: larder.port, target: "/gem/gems/\(file.filename)")
                #expect(answer.status == 200 && answer.body == file.data, "\(file.filename): \(answer.text)")
            }
            #expect(try await RawHTTP.send(port: larder.port, target: "/gem/gems/rack-ish-9.9.9.gem").status == 404)
            for bad in ["/gem/gems/rack-ish.gem", "/gem/gems/..%2f.gem", "/gem/info/.hidden", "/gem/quick/Marshal.4.8/x.gemspec", "/gem/api/v1/dependencies"] {
                let status = try await RawHTTP.send(port: larder.port, target: bad).status
                #expect(status == 400 || status == 404, "\(bad): \(status)")
            }
            let push = try await RawHTTP.send(port: larder.port, method: "POST", target: "/gem/api/v1/gems", body: Data("gem".utf8))
            #expect(push.status == 405 && push.text.contains("gem push"))
        }
    }

    @Test("a .gem whose bytes are not info's checksum is cut and not stored; an info or gemspec that is not one is refused")
    func refusals() async throws {
        let upstream = try await FixtureRegistry()
        Self.publish(upstream)
        upstream.set("/gems/\(Self.gem.filename)", body: ByteBuffer(string: "a gem called rack-ish, changed"))
        upstream.set("/quick/Marshal.4.8/rack-ish-2.0.0.gemspec.rz", body: ByteBuffer(string: "<html>not found</html>"))
        let larder = try await Self.larder(upstream, ttl: .zero)
        try await larder.stopping(upstream) {
            let tampered = try? await RawHTTP.send(port: larder.port, target: "/gem/gems/\(Self.gem.filename)")
            #expect(tampered == nil || tampered?.status == 502 || tampered?.text != "a gem called rack-ish, changed")
            #expect(try await larder.engine.lookup("gem/gems/\(Self.gem.filename)") == nil)
            let spec = try? await RawHTTP.send(port: larder.port, target: "/gem/quick/Marshal.4.8/rack-ish-2.0.0.gemspec.rz")
            #expect(spec == nil || spec?.status == 502 || spec?.text != "<html>not found</html>")
            #expect(try await larder.engine.lookup("gem/quick/rack-ish-2.0.0.gemspec.rz") == nil)

            let good = try await RawHTTP.send(port: larder.port, target: "/gem/info/rack-ish")
            upstream.set("/info/rack-ish", body: ByteBuffer(string: "<html>sign in</html>"), contentType: "text/html")
            #expect(try await RawHTTP.send(port: larder.port, target: "/gem/info/rack-ish").body == good.body)
        }
        let bare = try await TestLarder()
        let answer = try await RawHTTP.send(port: bare.port, target: "/gem/versions")
        #expect(answer.status == 503 && answer.text.contains("LARDER_UPSTREAM_RUBYGEMS"), "\(answer.text)")
        await bare.stop()
    }
}

