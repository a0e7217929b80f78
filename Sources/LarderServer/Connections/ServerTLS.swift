import Foundation
public import NIOSSL

/// The certificate and key Larder serves HTTPS with (`tls.cert`, `tls.key`). Both or neither:
/// with both, the listen address serves HTTPS only.
public struct ServerTLS: Sendable {
    /// The PEM certificate chain, the server's certificate first.
    public var certificateFile: String?
    /// The PEM private key.
    public var keyFile: String?

    /// No TLS.
    public init() {}

    /// Whether HTTPS is served.
    public var isEnabled: Bool { certificateFile != nil || keyFile != nil }

    /// The TLS context to serve with; nil without TLS. Throws a message naming the setting when
    /// only one file is given or a file cannot be read as PEM.
    public func context() throws(ConfigurationError) -> NIOSSLContext? {
        guard isEnabled else { return nil }
        guard let certificateFile, let keyFile else {
            throw ConfigurationError("tls.cert and tls.key go together (LARDER_TLS_CERT and LARDER_TLS_KEY, --tls-cert and --tls-key): set both to serve HTTPS, or neither")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ConfigurationError("tls.cert: cannot read a PEM certificate chain from \(certificateFile): \(error)")
        }
        guard !chain.isEmpty else { throw ConfigurationError("tls.cert: \(certificateFile) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ConfigurationError("tls.key: cannot read a PEM private key from \(keyFile): \(error)")
        }
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError("tls.cert and tls.key: \(error) (does the key belong to the certificate?)")
        }
    }
}
