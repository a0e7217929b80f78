import Crypto
import Foundation
import NIOCore

/// The embedded blob store: a directory of content-addressed files,
/// `blobs/sha256/ab/abcdef…`, with staging files in `tmp/` on the same file system so that
/// committing is an atomic rename.
public struct FileBlobStore: BlobStore {
    /// The directory holding `blobs/` and `tmp/`.
    public let root: String
    private var blobsDir: String { root + "/blobs/sha256" }
    private var stagingDir: String { root + "/tmp" }

    /// Opens (creating if needed) a blob store under `root`.
    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/locks", withIntermediateDirectories: true)
    }

    /// The file holding blob `digest`.
    public func path(ofDigest digest: String) -> String {
        precondition(digest.count == 64 && digest.allSatisfy(\.isHexDigit), "blob digests are SHA-256 hex")
        return "\(blobsDir)/\(digest.prefix(2))/\(digest)"
    }

    /// Staging files are named after the process writing them (`fill-<pid>-<uuid>.part`), so
    /// that a process starting on a shared data directory removes only what dead ones left.
    public func makeStagingPath() throws -> String {
        "\(stagingDir)/fill-\(getpid())-\(UUID().uuidString.lowercased()).part"
    }

    /// Renames the staging file into place (atomic; it replaces an identical blob another process
    /// committed meanwhile), then syncs the directory so the rename survives a power cut.
    public func ingest(stagingPath: String, digest: String) async throws {
        let target = path(ofDigest: digest)
        let dir = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw LarderError(.storageFailed, "cannot create \(dir): \(error.localizedDescription)")
        }
        guard rename(stagingPath, target) == 0 else {
            throw LarderError.storage("could not commit blob \(digest)")
        }
        try await PosixFile.syncDirectory(dir)
    }

    public func size(ofDigest digest: String) async throws -> Int64? {
        var info = stat()
        guard stat(path(ofDigest: digest), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    public func open(digest: String) async throws -> (any BlobHandle)? {
        guard let file = try PosixFile.openForReading(path(ofDigest: digest)) else { return nil }
        return FileBlobHandle(file: file, size: file.size(), digest: digest)
    }

    public func delete(digest: String) async throws {
        unlink(path(ofDigest: digest))
    }

    /// Moves the blob to `quarantine/<digest>-<unix time>`.
    public func quarantine(digest: String) async throws {
        let target = "\(root)/quarantine/\(digest)-\(Int(Date().timeIntervalSince1970))"
        try? FileManager.default.createDirectory(atPath: root + "/quarantine", withIntermediateDirectories: true)
        guard rename(path(ofDigest: digest), target) == 0 || errno == ENOENT else {
            throw LarderError.storage("could not move blob \(digest) to quarantine")
        }
    }

    /// An advisory lock on `locks/<sha256 of key>.lock` (see `FileFillLock`).
    public func lockFill(key: String) async throws -> any FillLock {
        try await FileFillLock.acquire("\(root)/locks/\(SHA256.hash(data: Data(key.utf8)).hexDigest).lock")
    }

    /// An advisory lock on `locks/blob-<digest>.lock`.
    public func lockBlob(digest: String) async throws -> any FillLock {
        try await FileFillLock.acquire("\(root)/locks/blob-\(digest).lock")
    }

    public func removeLeftovers() throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stagingDir)) ?? []
        var removed = 0
        for name in names where !Self.isOwnedByLiveProcess(name) {
            unlink("\(stagingDir)/\(name)")
            removed += 1
        }
        return removed
    }

    /// Whether staging file `name` belongs to another process that is still running.
    static func isOwnedByLiveProcess(_ name: String) -> Bool {
        let parts = name.split(separator: "-")
        guard parts.count > 2, parts[0] == "fill", let pid = pid_t(parts[1]), pid != getpid() else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}

/// An open blob file, read by descriptor (a rename or quarantine does not disturb it).
struct FileBlobHandle: BlobHandle {
    let file: PosixFile
    let size: Int64
    let digest: String

    func chunks(range: ClosedRange<Int64>?, chunkSize: Int) -> ByteChunks {
        let start = range?.lowerBound ?? 0
        let end = min(range.map { $0.upperBound + 1 } ?? size, size)
        return ByteChunks(length: max(end - start, 0)) { [file, digest] in
            var offset = start
            return {
                guard offset < end else { return nil }
                let chunk = try await file.read(at: offset, length: Int(min(Int64(chunkSize), end - offset)))
                guard chunk.readableBytes > 0 else {
                    throw LarderError(.storageFailed, "blob \(digest) became shorter while it was read")
                }
                offset += Int64(chunk.readableBytes)
                return chunk
            }
        }
    }

    func readAll(maxSize: Int) async throws -> ByteBuffer {
        guard size <= Int64(maxSize) else { throw LarderError(.internalError, "blob \(digest) is larger than \(maxSize) bytes") }
        var all = ByteBufferAllocator().buffer(capacity: Int(size))
        while Int64(all.readableBytes) < size {
            var chunk = try await file.read(at: Int64(all.readableBytes), length: Int(size) - all.readableBytes)
            guard chunk.readableBytes > 0 else { break }
            all.writeBuffer(&chunk)
        }
        return all
    }
}

