import Foundation
import LarderServer
import LarderTesting
import NIOCore
import Testing

/// Larder serving HTTPS with a configured certificate and key.
@Suite("HTTPS")
struct TLSServerTests {
    @Test("with tls.cert and tls.key Larder serves HTTPS, and links it writes say https")
    func servesHTTPS() async throws {
        let certificates = try await TestCertificates.make()
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "secure", versions: [("1.0.0", PackageFile(filename: "secure-1.0.0.tgz", data: Data("x".utf8)), [:])])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
        }
        try await larder.stopping(upstream) {
            let work = TestLarder.temporaryDirectory("https")
            defer { try? FileManager.default.removeItem(atPath: work) }
            let status = try await Shell.run(["curl", "-sS", "--cacert", certificates.caFile, "-o", work + "/health", "-w", "%{http_code}", "https://127.0.0.1:\(larder.port)/health"], clean: true)
            #expect(status == "200")
            let document = try await Shell.run(["curl", "-sS", "--cacert", certificates.caFile, "https://127.0.0.1:\(larder.port)/npm/secure"], clean: true)
            #expect(document.contains("https://127.0.0.1:\(larder.port)/npm/secure/-/secure-1.0.0.tgz"))
            // Plain HTTP on the HTTPS port gets no answer.
            let plain = try? await Shell.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:\(larder.port)/health"], clean: true)
            #expect(plain?.contains("ok") != true)
        }
    }

    @Test("http_listen adds a plain-HTTP listener beside HTTPS: same cache, links in each listener's own scheme")
    func plainListener() async throws {
        let certificates = try await TestCertificates.make()
        let upstream = try await FixtureRegistry()
        upstream.publishNpm(name: "both", versions: [("1.0.0", PackageFile(filename: "both-1.0.0.tgz", data: Data("both ways".utf8)), [:])])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.tls.certificateFile = certificates.certificateFile
            $0.tls.keyFile = certificates.keyFile
            $0.plainHTTP = ("127.0.0.1", 0)
        }
        try await larder.stopping(upstream) {
            let plainPort = try #require(larder.plainPort)
            let secure = try await Shell.run(["curl", "-sS", "--cacert", certificates.caFile, "https://127.0.0.1:\(larder.port)/npm/both"], clean: true)
            #expect(secure.contains("https://127.0.0.1:\(larder.port)/npm/both/-/both-1.0.0.tgz"))
            let plain = try await RawHTTP.send(port: plainPort, target: "/npm/both")
            #expect(plain.text.contains("http://127.0.0.1:\(plainPort)/npm/both/-/both-1.0.0.tgz"), "\(plain.text)")
            #expect(try await RawHTTP.send(port: plainPort, target: "/npm/both/-/both-1.0.0.tgz").body == Data("both ways".utf8))
            let again = try await Shell.run(["curl", "-sS", "--cacert", certificates.caFile, "https://127.0.0.1:\(larder.port)/npm/both/-/both-1.0.0.tgz"], clean: true)
            #expect(again == "both ways")
            #expect(upstream.requests(to: "/both/-/both-1.0.0.tgz") == 1)
        }
        #expect(throws: ConfigurationError.self) { _ = try LarderConfiguration.resolve(environment: ["LARDER_HTTP_LISTEN": "127.0.0.1:0"]) }
    }

    @Test("TLS settings that cannot work stop Larder with a message naming the setting")
    func badSettings() async throws {
        let certificates = try await TestCertificates.make()
        let other = try await TestCertificates.make()
        for (environment, named) in [
            (["LARDER_TLS_CERT": certificates.certificateFile], "tls.key"),
            (["LARDER_TLS_KEY": certificates.keyFile], "tls.cert"),
            (["LARDER_TLS_CERT": certificates.certificateFile, "LARDER_TLS_KEY": "/no/such/key.pem"], "tls.key"),
            (["LARDER_TLS_CERT": certificates.keyFile, "LARDER_TLS_KEY": certificates.keyFile], "tls.cert"),
            (["LARDER_TLS_CERT": certificates.certificateFile, "LARDER_TLS_KEY": other.keyFile], "tls.key"),
        ] {
            #expect("\(environment)") {
                _ = try LarderConfiguration.resolve(environment: environment)
            } throws: { "\($0)".contains(named) }
        }
    }

    @Test("larder tls init's authority and server certificate serve HTTPS to clients that trust it, by name and address; the authority is kept")
    func localAuthority() async throws {
        let data = TestLarder.temporaryDirectory("tls-init")
        let authority = LocalCertificateAuthority(dataDirectory: data)
        #expect(try authority.issue(hosts: ["localhost", "127.0.0.1", "::1", "larder.test"]))
        let ca = try Data(contentsOf: URL(fileURLWithPath: authority.caCertificateFile))
        let mode = try FileManager.default.attributesOfItem(atPath: authority.keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let larder = try await TestLarder {
            $0.tls.certificateFile = authority.certificateFile
            $0.tls.keyFile = authority.keyFile
        }
        for url in ["https://127.0.0.1:\(larder.port)/health", "https://larder.test:\(larder.port)/health", "https://localhost:\(larder.port)/health"] {
            let answer = try await Shell.run(["curl", "-sS", "--cacert", authority.caCertificateFile, "--resolve", "larder.test:\(larder.port):127.0.0.1", url], clean: true)
            #expect(answer.contains("ok"), "\(url)")
        }
        // A name the certificate does not carry is refused by the client.
        let wrong = try? await Shell.run(["curl", "-sS", "--cacert", authority.caCertificateFile, "--resolve", "other.test:\(larder.port):127.0.0.1", "https://other.test:\(larder.port)/health"], clean: true)
        #expect(wrong == nil)
        await larder.stop()

        let server = try Data(contentsOf: URL(fileURLWithPath: authority.certificateFile))
        #expect(try authority.issue(hosts: ["localhost"]) == false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: authority.caCertificateFile)) == ca)
        #expect(try Data(contentsOf: URL(fileURLWithPath: authority.certificateFile)) != server)
        #expect(throws: LocalCertificateAuthorityError.self) { try authority.issue(hosts: ["bad host"]) }
    }
}
