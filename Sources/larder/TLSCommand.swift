import ArgumentParser
import Foundation
import LarderServer

/// `larder tls`: certificates for serving HTTPS.
struct TLSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Certificates for serving HTTPS.",
        subcommands: [TLSInitCommand.self])
}

/// `larder tls init`: a local certificate authority and a server certificate.
struct TLSInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a local certificate authority (kept if there is one) and a server certificate it signs, in <data-dir>/tls/.",
        discussion: "The server certificate names localhost, 127.0.0.1, ::1, this machine's host name and every --host. Trust the authority on the clients, then serve with the --tls-cert and --tls-key it prints.")

    @Option(name: .customLong("host"), help: "Another host name or IP address clients reach Larder at; repeatable.")
    var hosts: [String] = []
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let configuration = try settings.resolve()
        let authority = LocalCertificateAuthority(dataDirectory: configuration.dataDirectory)
        var names = ["localhost", "127.0.0.1", "::1"]
        let machine = ProcessInfo.processInfo.hostName
        if !machine.isEmpty, machine != "localhost" { names.append(machine) }
        for host in hosts where !names.contains(host) { names.append(host) }
        let made: Bool
        do {
            made = try authority.issue(hosts: names)
        } catch {
            throw ValidationError("cannot make the certificates in \(authority.directory): \(error)")
        }
        print("""
            \(made ? "made a certificate authority" : "kept the certificate authority") \(authority.caCertificateFile)
            issued a server certificate for \(names.joined(separator: ", ")), valid 397 days

            trust the authority on each client, for example:
              Debian, Ubuntu:  cp \(authority.caCertificateFile) /usr/local/share/ca-certificates/larder.crt && update-ca-certificates
              one program:     SSL_CERT_FILE=\(authority.caCertificateFile) (curl --cacert, pip --cert, NODE_EXTRA_CA_CERTS for npm)
            then serve HTTPS:
              larder serve --tls-cert \(authority.certificateFile) --tls-key \(authority.keyFile)
            """)
    }
}
