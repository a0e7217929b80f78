import Foundation
public import NIOSSL

/// A certificate authority and a server certificate for 127.0.0.1 and localhost, made with the
/// `openssl` command for tests of upstreams over https.
public struct TestCertificates: Sendable {
    /// The CA's certificate (PEM), to trust.
    public let caFile: String
    /// The server's certificate chain (PEM).
    public let certificateFile: String
    /// The server's private key (PEM).
    public let keyFile: String

    /// Makes a new CA and server certificate in a fresh directory.
    public static func make() async throws -> TestCertificates {
        let dir = TestLarder.temporaryDirectory("certs")
        let ext = dir + "/server.ext"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n".write(toFile: ext, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Larder Test CA", "-keyout", "ca.key", "-out", "ca.pem",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"],
            ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem"],
        ]
        for step in steps { try await Shell.run(step, in: dir) }
        return TestCertificates(caFile: dir + "/ca.pem", certificateFile: dir + "/server.pem", keyFile: dir + "/server.key")
    }

    /// The server side's TLS configuration.
    public func serverConfiguration() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
    }
}
