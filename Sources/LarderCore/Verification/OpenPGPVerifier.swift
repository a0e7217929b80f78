public import Foundation

/// Checks detached OpenPGP signatures (a registry's signed `SHA256SUMS`) against public keys the
/// registry published, with GnuPG's `gpgv`: a separate process, given only those keys (a fresh
/// home directory, no default keyring), bounded in time and input size. A good signature by one
/// of the keys is the only success; everything else is an error that says what failed.
public struct OpenPGPVerifier: Sendable {
    /// The `gpgv` program.
    public var program: String
    /// The longest a check may take.
    public var timeout: Duration
    /// The largest signed file, signature or key accepted.
    public static let maxInputBytes = 16 << 20

    /// A verifier running `program` (found on the PATH when not absolute).
    public init(program: String = "gpgv", timeout: Duration = .seconds(30)) {
        self.program = program
        self.timeout = timeout
    }

    /// Checks that `signature` (binary or ASCII-armored) is a good signature of `data` by one of
    /// `armoredKeys` (ASCII-armored public keys). Throws `integrityMismatch` for a bad signature
    /// or one by another key, and `internalError` when gpgv cannot be run.
    public func verify(_ data: Data, signature: Data, armoredKeys: [String], what: String) async throws(LarderError) {
        guard data.count <= Self.maxInputBytes, signature.count <= Self.maxInputBytes, armoredKeys.reduce(0, { $0 + $1.utf8.count }) <= Self.maxInputBytes else {
            throw LarderError(.integrityMismatch, "\(what): the signed file, its signature or its keys exceed \(Self.maxInputBytes >> 20) MiB")
        }
        var keyring = Data()
        for armored in armoredKeys {
            guard let key = Self.dearmor(armored) else {
                throw LarderError(.integrityMismatch, "\(what): a signing key is not an ASCII-armored OpenPGP key")
            }
            keyring.append(key)
        }
        guard !keyring.isEmpty else { throw LarderError(.integrityMismatch, "\(what): no signing key was published to check the signature with") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("larder-gpgv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let status: String
        let exit: Int32
        do {
            try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try keyring.write(to: URL(fileURLWithPath: directory + "/keys.gpg"))
            try data.write(to: URL(fileURLWithPath: directory + "/signed"))
            try signature.write(to: URL(fileURLWithPath: directory + "/signed.sig"))
            let run = try await ChildProcess.output(
                [program, "--homedir", directory + "/home", "--status-fd", "1", "--keyring", directory + "/keys.gpg", directory + "/signed.sig", directory + "/signed"],
                environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LC_ALL": "C"], timeout: timeout, maxOutput: 64 << 10)
            (exit, status) = (run.outcome.timedOut ? -1 : run.outcome.status, run.stdout)
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError(.internalError, "\(what): could not run \(program) to check the signature (\(error)); install GnuPG's gpgv (Debian package gpgv)")
        }
        let good = status.split(separator: "\n").contains { $0.hasPrefix("[GNUPG:] VALIDSIG ") }
        guard exit == 0, good else {
            let reason = status.contains("NO_PUBKEY") ? "it was made by a key the registry did not publish" : status.contains("BADSIG") ? "the signature does not match the file" : "gpgv refused it"
            throw LarderError(.integrityMismatch, "\(what): the signature is not good: \(reason)")
        }
    }

    /// The binary packets of an ASCII-armored OpenPGP block (RFC 4880 §6.2); nil when it is not one.
    public static func dearmor(_ armored: String) -> Data? {
        var base64 = ""
        var inBlock = false
        var inBody = false
        for rawLine in armored.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if !inBlock {
                if line.hasPrefix("-----BEGIN PGP ") { inBlock = true }
                continue
            }
            if line.hasPrefix("-----END PGP ") {
                return Data(base64Encoded: base64)
            }
            if !inBody {
                // Armor headers ("Version: …") end at the first empty line.
                if line.isEmpty { inBody = true } else if !line.contains(":") { inBody = true; base64 += line }
                continue
            }
            if line.hasPrefix("=") { continue }  // the CRC-24 checksum line
            base64 += line
        }
        return nil
    }
}
