import Foundation
import LarderCore
@testable import LarderEcosystems
import NIOCore
import Testing

/// Debian's Release and index files, as Larder reads them.
@Suite("Debian")
struct DebianTests {
    static let a = String(repeating: "a", count: 64)
    static let b = String(repeating: "b", count: 64)

    @Test("the SHA256 section of a Release lists the suite's files; other sections are ignored")
    func releaseFiles() {
        let release = """
            -----BEGIN PGP SIGNED MESSAGE-----
            Hash: SHA512

            Origin: Test
            Suite: stable
            MD5Sum:
             0123456789abcdef0123456789abcdef 10 main/binary-amd64/Packages
            SHA256:
             \(Self.a) 10 main/binary-amd64/Packages
             \(Self.b)   20 main/binary-amd64/Packages.gz
             nonsense line
            Acquire-By-Hash: yes
            -----BEGIN PGP SIGNATURE-----
            """
        #expect(DebianIndexes.releaseFiles(release) == [
            .init(path: "main/binary-amd64/Packages", size: 10, sha256: Self.a), .init(path: "main/binary-amd64/Packages.gz", size: 20, sha256: Self.b),
        ])
    }

    @Test("Packages and Sources list pool files with their SHA-256; paths outside the pool are dropped")
    func poolFiles() throws {
        let packages = """
            Package: hello
            Version: 2.10-3
            Filename: pool/main/h/hello/hello_2.10-3_amd64.deb
            SHA256: \(Self.a)

            Package: evil
            Filename: pool/../../etc/passwd
            SHA256: \(Self.b)

            """
        #expect(try DebianIndexes.poolFiles(ByteBuffer(string: packages), path: "main/binary-amd64/Packages", maxSize: 1 << 20).map(\.name) == ["pool/main/h/hello/hello_2.10-3_amd64.deb"])
        let sources = """
            Package: hello
            Directory: pool/main/h/hello
            Checksums-Sha256:
             \(Self.a) 1183 hello_2.10-3.dsc
             \(Self.b) 725946 hello_2.10.orig.tar.gz
            Homepage: https://example.invalid

            """
        let links = try DebianIndexes.poolFiles(ByteBuffer(string: sources), path: "main/source/Sources", maxSize: 1 << 20)
        #expect(links.map(\.name) == ["pool/main/h/hello/hello_2.10-3.dsc", "pool/main/h/hello/hello_2.10.orig.tar.gz"])
        #expect(links.last?.integrity == Integrity(algorithm: .sha256, hex: Self.b))
        #expect(throws: LarderError.self) { try DebianIndexes.poolFiles(ByteBuffer(bytes: [0x1f, 0x8b, 0, 0]), path: "main/binary-amd64/Packages.gz", maxSize: 1 << 20) }
    }

    @Test("a pool file is looked up in the index of its architecture (every one for all), udebs in debian-installer, sources in source; gzipped preferred")
    func candidates() {
        let files = ["main/binary-amd64/Packages", "main/binary-amd64/Packages.gz", "main/binary-amd64/Packages.xz", "main/binary-arm64/Packages.xz",
                     "main/binary-arm64/Packages", "contrib/binary-amd64/Packages.gz", "main/debian-installer/binary-amd64/Packages.gz", "main/source/Sources.gz",
                     "main/i18n/Translation-en.gz"].map { DebianIndexes.ReleaseFile(path: $0, size: 1, sha256: Self.a) }
        func paths(_ pool: String) -> [String] { DebianAdapter.indexCandidates(files, for: pool).map(\.path) }
        #expect(paths("pool/main/h/hello/hello_2.10-3_amd64.deb") == ["main/binary-amd64/Packages.gz", "contrib/binary-amd64/Packages.gz"])
        #expect(paths("pool/main/h/hello/hello_2.10-3_all.deb") == ["main/binary-amd64/Packages.gz", "main/binary-arm64/Packages", "contrib/binary-amd64/Packages.gz"])
        #expect(paths("pool/main/h/hello/hello-udeb_2.10-3_amd64.udeb") == ["main/debian-installer/binary-amd64/Packages.gz"])
        #expect(paths("pool/main/h/hello/hello_2.10.orig.tar.gz") == ["main/source/Sources.gz"])
    }

    @Test("files are checked to be of their kind", arguments: [
        ("InRelease", "<html>login</html>", false), ("InRelease", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n", true),
        ("Release", "<html>", false), ("Release", "Origin: Debian\nSuite: stable\n", true), ("Release.gpg", "-----BEGIN PGP SIGNATURE-----\n", true),
        ("Release.gpg", "hello", false), ("Packages.gz", "<html>", false), ("Packages.xz", "\u{fd}7zXZ", false), ("Packages", "<!DOCTYPE html>", false),
        ("Packages", "Package: hello\n", true), ("Translation-en.bz2", "BZh91AY", true),
    ])
    func validation(file: String, body: String, valid: Bool) {
        let ok = (try? DebianIndexes.validate(ByteBuffer(string: body), file: file)) != nil
        #expect(ok == valid)
    }
}
