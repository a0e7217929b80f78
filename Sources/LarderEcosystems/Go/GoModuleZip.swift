import CompressNIO
import Crypto
import Foundation
public import LarderCore
import NIOCore
import NIOPosix

/// The `h1:` hash Go records for a module: SHA-256 over the lines `<sha256 hex>  <name>\n` of
/// every file, sorted by name (`dirhash.Hash1`). For a module zip the names are the zip's
/// entry names (`<module>@<version>/…`); for a `go.mod` the one name `go.mod`.
public enum GoModuleHash {
    /// The most entries a module zip may have, and the most bytes its files may hold
    /// uncompressed (Go itself refuses zips over 500 MiB).
    static let maxEntries = 200_000
    static let maxUncompressed: Int64 = 1 << 30

    /// The `h1:` hash of the lines for `files` (name and SHA-256 hex).
    public static func h1(_ files: [(name: String, sha256: String)]) -> String {
        var hash = SHA256()
        for file in files.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            hash.update(data: Data("\(file.sha256)  \(file.name)\n".utf8))
        }
        return "h1:" + Data(hash.finalize()).base64EncodedString()
    }

    /// The `h1:` hash of a `go.mod` file's bytes.
    public static func goMod(sha256: String) -> String { h1([("go.mod", sha256)]) }

    /// The `h1:` hash of the module zip at `path`, read on NIO's thread pool. Throws when the
    /// file is not a zip Larder can read (zip64, an unknown compression, a file name with a
    /// newline, over the bounds).
    public static func zip(at path: String) async throws(LarderError) -> String {
        do {
            return try await NIOThreadPool.singleton.runIfActive { h1(try ZipEntries(path: path).hashes()) }
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError(.integrityMismatch, "the module zip could not be read: \(error)")
        }
    }
}

/// The entries of a zip file, read from its central directory.
struct ZipEntries {
    struct Entry {
        var name: String
        var method: UInt16
        var compressedSize: Int64
        var localHeader: Int64
    }

    private let file: FileHandle
    private let size: Int64
    private(set) var entries: [Entry] = []

    init(path: String) throws {
        guard let file = FileHandle(forReadingAtPath: path) else { throw Self.bad("the file cannot be opened") }
        self.file = file
        size = Int64(try file.seekToEnd())
        let tailLength = Int(min(size, 22 + 65_535))
        let tail = try read(at: size - Int64(tailLength), count: tailLength)
        guard let end = Self.lastIndex(of: [0x50, 0x4b, 0x05, 0x06], in: tail) else { throw Self.bad("it has no end of central directory") }
        let count = Int(tail.le16(end + 10))
        let directorySize = Int64(tail.le32(end + 12))
        let directoryOffset = Int64(tail.le32(end + 16))
        guard count != 0xFFFF, directoryOffset != 0xFFFF_FFFF else { throw Self.bad("it is a zip64 archive") }
        guard count <= GoModuleHash.maxEntries, directoryOffset + directorySize <= size, directorySize <= 64 << 20 else { throw Self.bad("its directory is out of bounds") }
        let directory = try read(at: directoryOffset, count: Int(directorySize))
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, directory.le32(at) == 0x0201_4b50 else { throw Self.bad("its central directory is damaged") }
            let nameLength = Int(directory.le16(at + 28))
            let skip = nameLength + Int(directory.le16(at + 30)) + Int(directory.le16(at + 32))
            guard at + 46 + skip <= directory.count else { throw Self.bad("its central directory is damaged") }
            let name = String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            guard !name.contains("\n") else { throw Self.bad("a file name holds a newline") }
            entries.append(Entry(name: name, method: directory.le16(at + 10), compressedSize: Int64(directory.le32(at + 20)), localHeader: Int64(directory.le32(at + 42))))
            at += 46 + skip
        }
    }

    /// Each entry's name and the SHA-256 of its uncompressed bytes.
    func hashes() throws -> [(name: String, sha256: String)] {
        var total: Int64 = 0
        return try entries.map { entry in
            let header = try read(at: entry.localHeader, count: 30)
            guard header.le32(0) == 0x0403_4b50 else { throw Self.bad("a local header of \(entry.name) is damaged") }
            var offset = entry.localHeader + 30 + Int64(header.le16(26)) + Int64(header.le16(28))
            var remaining = entry.compressedSize
            guard offset + remaining <= size else { throw Self.bad("\(entry.name) lies outside the file") }
            var hash = SHA256()
            var inflater: (any NIODecompressor)?
            switch entry.method {
            case 0: break
            case 8:
                let decompressor = CompressionAlgorithm.deflate().decompressor
                decompressor.window = ByteBufferAllocator().buffer(capacity: 64 << 10)
                try decompressor.startStream()
                inflater = decompressor
            default: throw Self.bad("\(entry.name) uses compression method \(entry.method)")
            }
            while remaining > 0 {
                let chunk = try read(at: offset, count: Int(min(remaining, 1 << 20)))
                offset += Int64(chunk.count)
                remaining -= Int64(chunk.count)
                if let inflater {
                    var input = ByteBuffer(bytes: chunk)
                    try input.decompressStream(with: inflater) { output in
                        total += Int64(output.readableBytes)
                        guard total <= GoModuleHash.maxUncompressed else { throw Self.bad("its files hold more than \(GoModuleHash.maxUncompressed >> 20) MiB") }
                        output.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
                    }
                } else {
                    total += Int64(chunk.count)
                    hash.update(data: chunk)
                }
            }
            try inflater?.finishStream()
            return (entry.name, Data(hash.finalize()).hexDigest)
        }
    }

    private func read(at offset: Int64, count: Int) throws -> Data {
        try file.seek(toOffset: UInt64(offset))
        let data = try file.read(upToCount: count) ?? Data()
        guard data.count == count else { throw Self.bad("it ends early") }
        return data
    }

    private static func lastIndex(of signature: [UInt8], in data: Data) -> Int? {
        guard data.count >= 22 else { return nil }
        var index = data.count - 22
        while index >= 0 {
            if data[data.startIndex + index] == signature[0] && data[data.startIndex + index + 1] == signature[1]
                && data[data.startIndex + index + 2] == signature[2] && data[data.startIndex + index + 3] == signature[3] { return index }
            index -= 1
        }
        return nil
    }

    static func bad(_ reason: String) -> LarderError {
        LarderError(.integrityMismatch, "the module zip cannot be read: \(reason)")
    }
}

extension Data {
    func le16(_ at: Int) -> UInt16 { UInt16(self[startIndex + at]) | UInt16(self[startIndex + at + 1]) << 8 }
    func le32(_ at: Int) -> UInt32 { UInt32(le16(at)) | UInt32(le16(at + 2)) << 16 }
}
