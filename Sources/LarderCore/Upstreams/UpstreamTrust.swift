import NIOSSL

/// Which certificate authorities Larder trusts for upstreams over https: the system's trust store,
/// plus the certificates of any PEM files given (`upstream_ca_file`, `SSL_CERT_FILE`), for private
/// registries with an internal certificate authority.
public struct UpstreamTrust: Sendable, Equatable {
    /// PEM files whose certificates are trusted besides the system's.
    public var additionalCAFiles: [String]

    /// Trust the system's store plus `additionalCAFiles`.
    public init(additionalCAFiles: [String] = []) {
        self.additionalCAFiles = additionalCAFiles
    }

    /// Checks that each file exists and holds at least one PEM certificate; throws a message
    /// naming the file otherwise.
    public func validate() throws(LarderError) {
        for path in additionalCAFiles {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw LarderError(.notConfigured, "cannot read certificates from \(path): \(error)")
            }
            if certificates.isEmpty { throw LarderError(.notConfigured, "\(path) holds no PEM certificate") }
        }
    }

    var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.additionalTrustRoots = additionalCAFiles.map { .file($0) }
        return configuration
    }
}
