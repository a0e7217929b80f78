import Foundation
import CompressNIO
import Crypto
import LarderCore
import NIOCore

/// The files of a Debian archive that Larder reads: `Release` (and the signed body of
/// `InRelease`), which lists every index file of a suite with its SHA-256, and the `Packages`
/// and `Sources` indexes, which list every pool file with its SHA-256.
enum DebianIndexes {
    /// A file a `Release` lists, relative to the suite's directory.
    struct ReleaseFile: Equatable {
        var path: String
        var size: Int64
        var sha256: String
    }

    /// The `SHA256:` section of a `Release` or `InRelease`.
    static func releaseFiles(_ text: String) -> [ReleaseFile] {
        var files: [ReleaseFile] = []
        var inSection = false
        for line in text.split(whereSeparator: \.isNewline) {
            if line.first == " " || line.first == "\t" {
                guard inSection else { continue }
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count == 3, let size = Int64(fields[1]), let digest = Integrity(algorithm: .sha256, hex: String(fields[0])) {
                    files.append(ReleaseFile(path: String(fields[2]), size: size, sha256: digest.hex))
                }
            } else {
                inSection = line.trimmingCharacters(in: .whitespaces) == "SHA256:"
            }
        }
        return files
    }

    /// Checks that `body` is a document of the kind its name says, so that a login page or an
    /// error page never replaces a stored one: `InRelease` clearsigned, `Release` with its
    /// fields, `Release.gpg` a signature, compressed indexes in their format, others text.
    static func validate(_ body: ByteBuffer, file: String) throws {
        let bytes = Array(body.readableBytesView.prefix(64))
        func starts(_ prefix: [UInt8]) -> Bool { bytes.starts(with: prefix) }
        let text = String(decoding: bytes, as: UTF8.self)
        let ok: Bool
        switch file {
        case "InRelease": ok = text.hasPrefix("-----BEGIN PGP SIGNED MESSAGE-----")
        case "Release":
            let whole = String(decoding: body.readableBytesView.prefix(64 << 10), as: UTF8.self)
            ok = !text.hasPrefix("<") && (whole.contains("\nSHA256:") || whole.contains("\nMD5Sum:") || whole.hasPrefix("Origin:") || whole.contains("Suite:") || whole.contains("Codename:"))
        case "Release.gpg": ok = text.hasPrefix("-----BEGIN PGP SIGNATURE-----") || (bytes.first.map { $0 & 0x80 != 0 } ?? false)
        default:
            if file.hasSuffix(".gz") { ok = starts([0x1f, 0x8b]) }
            else if file.hasSuffix(".xz") { ok = starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) }
            else if file.hasSuffix(".bz2") { ok = starts(Array("BZh".utf8)) }
            else if file.hasSuffix(".zst") { ok = starts([0x28, 0xb5, 0x2f, 0xfd]) }
            else if file.hasSuffix(".lzma") { ok = starts([0x5d, 0x00, 0x00]) }
            else { ok = body.readableBytes == 0 || !text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<") }
        }
        guard ok else { throw LarderError(.upstreamFailed, "it is not a \(file) of a Debian archive") }
    }

    /// The pool files a `Packages` or `Sources` index (plain or gzipped) lists, with their
    /// SHA-256; the index may unpack to at most `maxSize` bytes.
    static func poolFiles(_ body: ByteBuffer, path: String, maxSize: Int) throws -> [ArtifactLink] {
        var buffer = body
        if path.hasSuffix(".gz") {
            do {
                buffer = try buffer.decompress(with: .gzip, maxSize: maxSize)
            } catch {
                throw LarderError(.upstreamFailed, "\(path) does not unpack (\(error)), or unpacks to more than \(maxSize >> 20) MiB")
            }
        }
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        var links: [ArtifactLink] = []
        var filename: String?
        var sha256: String?
        var directory: String?
        var sourceFiles: [(String, String)] = []
        var inChecksums = false
        func flush() {
            if let filename, let sha256 { links.append(ArtifactLink(name: filename, url: filename, integrity: Integrity(algorithm: .sha256, hex: sha256))) }
            if let directory { for (name, digest) in sourceFiles { let full = "\(directory)/\(name)"; links.append(ArtifactLink(name: full, url: full, integrity: Integrity(algorithm: .sha256, hex: digest))) } }
            (filename, sha256, directory, sourceFiles, inChecksums) = (nil, nil, nil, [], false)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { flush(); continue }
            if line.first == " " || line.first == "\t" {
                guard inChecksums else { continue }
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count == 3, let digest = Integrity(algorithm: .sha256, hex: String(fields[0])) { sourceFiles.append((String(fields[2]), digest.hex)) }
                continue
            }
            inChecksums = false
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "Filename": filename = value
            case "SHA256": sha256 = Integrity(algorithm: .sha256, hex: value)?.hex
            case "Directory": directory = value
            case "Checksums-Sha256": inChecksums = true
            default: break
            }
        }
        flush()
        return links.filter { Self.isPoolPath($0.name) }
    }

    /// Whether `path` is a file below `pool/` without `.` or `..` segments.
    static func isPoolPath(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.count >= 2 && segments[0] == "pool" && !segments.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    /// The SHA-256 of `body`, lower-case hex.
    static func sha256(_ body: ByteBuffer) -> String {
        SHA256.hash(data: Array(body.readableBytesView)).map { String(format: "%02x", $0) }.joined()
    }
}
