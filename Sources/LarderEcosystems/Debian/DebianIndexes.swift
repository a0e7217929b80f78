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
        /// Its SHA-512, when the `Release` lists one (apt then asks by-hash files by it).
        var sha512: String? = nil
    }

    /// The files of the `SHA256:` section of a `Release` or `InRelease`, with their SHA-512
    /// from the `SHA512:` section where it lists them.
    static func releaseFiles(_ text: String) -> [ReleaseFile] {
        var sections: [String: [(path: String, size: Int64, hex: String)]] = [:]
        var section: (name: String, algorithm: Integrity.Algorithm)?
        for line in text.split(whereSeparator: \.isNewline) {
            if line.first == " " || line.first == "\t" {
                guard let current = section else { continue }
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.count == 3, let size = Int64(fields[1]), let digest = Integrity(algorithm: current.algorithm, hex: String(fields[0])) {
                    sections[current.name, default: []].append((String(fields[2]), size, digest.hex))
                }
            } else {
                switch line.trimmingCharacters(in: .whitespaces) {
                case "SHA256:": section = ("SHA256", .sha256)
                case "SHA512:": section = ("SHA512", .sha512)
                default: section = nil
                }
            }
        }
        var sha512: [String: String] = [:]
        for file in sections["SHA512"] ?? [] { sha512[file.path] = file.hex }
        return (sections["SHA256"] ?? []).map { ReleaseFile(path: $0.path, size: $0.size, sha256: $0.hex, sha512: sha512[$0.path]) }
    }

    /// Whether a `Release` says clients fetch its indexes by hash (`Acquire-By-Hash: yes`).
    static func acquiresByHash(_ text: String) -> Bool {
        text.split(whereSeparator: \.isNewline).contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "acquire-by-hash: yes" }
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
        let text = try unpacked(body, path: path, maxSize: maxSize)
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

    /// A binary package a `Packages` index lists.
    struct PackageEntry: Equatable {
        var package: String
        var version: String
        var architecture: String
        var filename: String
        var sha256: String?
    }

    /// The packages a `Packages` index (plain or gzipped) lists; it may unpack to at most
    /// `maxSize` bytes.
    static func packageEntries(_ body: ByteBuffer, path: String, maxSize: Int) throws -> [PackageEntry] {
        var entries: [PackageEntry] = []
        var fields: [Substring: String] = [:]
        func flush() {
            if let package = fields["Package"], let version = fields["Version"], let filename = fields["Filename"], isPoolPath(filename) {
                entries.append(PackageEntry(package: package, version: version, architecture: fields["Architecture"] ?? "", filename: filename, sha256: fields["SHA256"].flatMap { Integrity(algorithm: .sha256, hex: $0)?.hex }))
            }
            fields = [:]
        }
        for line in try unpacked(body, path: path, maxSize: maxSize).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { flush(); continue }
            guard line.first != " ", line.first != "\t", let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            if ["Package", "Version", "Architecture", "Filename", "SHA256"].contains(name) {
                fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        flush()
        return entries
    }

    /// The text of an index, unpacked when gzipped.
    static func unpacked(_ body: ByteBuffer, path: String, maxSize: Int) throws -> String {
        var buffer = body
        if path.hasSuffix(".gz") {
            do {
                buffer = try buffer.decompress(with: .gzip, maxSize: maxSize)
            } catch {
                throw LarderError(.upstreamFailed, "\(path) does not unpack (\(error)), or unpacks to more than \(maxSize >> 20) MiB")
            }
        }
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    /// Whether `path` is a file below `pool/` without `.` or `..` segments.
    static func isPoolPath(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.count >= 2 && segments[0] == "pool" && !segments.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    /// The SHA-256 of `body`, lower-case hex.
    static func sha256(_ body: ByteBuffer) -> String {
        SHA256.hash(data: Array(body.readableBytesView)).hexDigest
    }
}
