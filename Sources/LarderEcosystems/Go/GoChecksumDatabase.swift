public import LarderCore
public import NIOCore
import Foundation

/// What Larder knows of Go's checksum database: the names it proxies, and the records a
/// `lookup` answer holds. The records are read, not proven: Larder checks module zips against
/// them, and `go` checks the signed tree and the record's inclusion proof itself.
public enum GoChecksumDatabase {
    /// The database `go` uses by default, and the one Larder checks modules against.
    public static let defaultName = "sum.golang.org"

    /// Whether `name` can be a checksum database name: a host name.
    public static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 253 && !name.hasPrefix(".") && !name.hasPrefix("-") && !name.contains("..")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-") }
    }

    /// The `h1:` hashes a lookup answer records, by `<version>` (the zip) and `<version>/go.mod`,
    /// for `module` (unescaped). An answer that is not a record followed by a signed tree head
    /// is not a lookup answer.
    public static func records(_ body: ByteBuffer, module: String) throws(LarderError) -> [String: String] {
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        let blocks = text.components(separatedBy: "\n\n")
        let lines = blocks[0].split(separator: "\n", omittingEmptySubsequences: false)
        guard blocks.count >= 2, lines.count >= 2, Int(lines[0]) != nil, !blocks[1].isEmpty else {
            throw LarderError(.upstreamFailed, "the checksum database's answer for \(module.prefix(200)) is not a lookup record with a signed tree")
        }
        var hashes: [String: String] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == module, fields[2].hasPrefix("h1:") else {
                throw LarderError(.upstreamFailed, "the checksum database's answer for \(module.prefix(200)) holds a line that is not a go.sum line of that module")
            }
            hashes[String(fields[1])] = String(fields[2])
        }
        return hashes
    }
}

/// Checks a module's `.zip` or `.mod` against the `h1:` hash the checksum database records for
/// it. A database that has no record (a private module), or cannot be asked, leaves the file
/// unverified, which the engine logs: `go` still checks it against its own database.
struct GoChecksumVerifier: ArtifactVerifier {
    enum File { case zip, mod }

    let file: File
    let module: String
    let version: String
    /// Looks the module version up: the records, or a throw when there are none to be had.
    let lookup: @Sendable () async throws -> [String: String]

    var algorithms: Set<Integrity.Algorithm> { [] }

    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        let key = file == .zip ? version : version + "/go.mod"
        let expected: String
        do {
            guard let recorded = try await lookup()[key] else {
                return .unverified("the checksum database's record of \(module)@\(version) has no \(file == .zip ? "zip" : "go.mod") hash")
            }
            expected = recorded
        } catch {
            return .unverified("the checksum database has no record of \(module)@\(version) to check it against (\(error))")
        }
        let actual: String
        switch file {
        case .zip: actual = try await GoModuleHash.zip(at: artifact.path)
        case .mod: actual = GoModuleHash.goMod(sha256: artifact.digests[.sha256] ?? "")
        }
        guard actual == expected else {
            throw LarderError(.integrityMismatch, "upstream \(artifact.url) served a \(file == .zip ? "module zip" : "go.mod") of \(module)@\(version) whose hash is \(actual), but the checksum database records \(expected); not stored")
        }
        return .verified("the h1: hash the checksum database records")
    }
}
