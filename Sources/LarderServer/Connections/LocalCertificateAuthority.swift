import Crypto
public import Foundation
import SwiftASN1
import X509

/// What `larder tls init` makes: a local certificate authority and a server certificate it
/// signs, as PEM files in `<data_dir>/tls/`, so Larder can serve HTTPS to clients that trust
/// the authority. An existing authority is kept (clients already trust it); the server
/// certificate is issued anew.
public struct LocalCertificateAuthority: Sendable {
    /// The directory holding the files.
    public let directory: String
    /// The authority's certificate: what clients trust.
    public var caCertificateFile: String { directory + "/ca.pem" }
    /// The authority's private key (mode 0600).
    public var caKeyFile: String { directory + "/ca.key" }
    /// The server's certificate chain: `tls.cert`.
    public var certificateFile: String { directory + "/server.pem" }
    /// The server's private key (mode 0600): `tls.key`.
    public var keyFile: String { directory + "/server.key" }

    /// How long the server certificate is valid (the most browsers and Apple clients accept).
    static let serverValidity: TimeInterval = 397 * 86_400
    /// How long the authority is valid.
    static let authorityValidity: TimeInterval = 10 * 365 * 86_400

    /// The files in `<dataDirectory>/tls`.
    public init(dataDirectory: String) {
        directory = dataDirectory + "/tls"
    }

    /// Whether the authority exists already.
    public var hasAuthority: Bool {
        FileManager.default.fileExists(atPath: caCertificateFile) && FileManager.default.fileExists(atPath: caKeyFile)
    }

    /// Makes the authority if there is none, and a server certificate for `hosts` (names and IP
    /// addresses) signed by it; returns whether the authority was made now.
    @discardableResult
    public func issue(hosts: [String]) throws -> Bool {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = Date()
        let made = !hasAuthority
        let caKey: P256.Signing.PrivateKey
        let caCertificate: Certificate
        if made {
            caKey = P256.Signing.PrivateKey()
            let name = try DistinguishedName {
                OrganizationName("Larder")
                CommonName("Larder local certificate authority")
            }
            caCertificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Self.authorityValidity),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(caKey))
            try Self.write(caKey.pemRepresentation, to: caKeyFile, private: true)
            try Self.write(try caCertificate.serializeAsPEM().pemString, to: caCertificateFile, private: false)
        } else {
            caKey = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: caKeyFile, encoding: .utf8))
            caCertificate = try Certificate(pemEncoded: String(contentsOfFile: caCertificateFile, encoding: .utf8))
        }
        let serverKey = P256.Signing.PrivateKey()
        let names = try hosts.map(Self.generalName)
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Self.serverValidity),
            issuer: caCertificate.subject,
            subject: try DistinguishedName { CommonName(hosts.first ?? "localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey))
        try Self.write(serverKey.pemRepresentation, to: keyFile, private: true)
        try Self.write(try server.serializeAsPEM().pemString + "\n" + caCertificate.serializeAsPEM().pemString + "\n", to: certificateFile, private: false)
        return made
    }

    /// A DNS name, or an IP address (v4 or v6) as its bytes.
    static func generalName(_ host: String) throws -> GeneralName {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: &v4) { Array($0) })))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: &v6) { Array($0) })))
        }
        guard RequestAuthority.isValid(host), !host.contains(":") else {
            throw LocalCertificateAuthorityError(message: "'\(host)' is not a host name or IP address")
        }
        return .dnsName(host)
    }

    private static func write(_ text: String, to path: String, private isPrivate: Bool) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: isPrivate ? 0o600 : 0o644]) else {
            throw LocalCertificateAuthorityError(message: "cannot write \(path)")
        }
        // An existing file keeps its mode when rewritten: set it.
        try FileManager.default.setAttributes([.posixPermissions: isPrivate ? 0o600 : 0o644], ofItemAtPath: path)
    }
}

/// Why `larder tls init` could not make the certificates.
public struct LocalCertificateAuthorityError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    public var description: String { message }
}
