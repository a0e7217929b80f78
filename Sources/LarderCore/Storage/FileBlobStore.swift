import Crypto
import Foundation
public import NIOCore

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

    public func ingest(stagingPath: String, digest: String) async throws {
        let target = path(ofDigest: digest)
        let dir = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // rename(2) is atomic and replaces an identical blob another process committed meanwhile.
        guard rename(stagingPath, target) == 0 else {
            let code = errno
            throw LarderError(.internalError, "could not commit blob \(digest): \(String(cString: strerror(code)))")
        }
    }

    public func size(ofDigest digest: String) async throws -> Int64? {
        var info = stat()
        guard stat(path(ofDigest: digest), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    public func read(digest: String, range: ClosedRange<Int64>?, chunkSize: Int) async throws -> ByteChunks? {
        guard let file = try PosixFile.openForReading(path(ofDigest: digest)) else { return nil }
        let size = file.size()
        let start = range?.lowerBound ?? 0
        let end = min(range.map { $0.upperBound + 1 } ?? size, size)
        return ByteChunks(length: max(end - start, 0)) {
            var offset = start
            return {
                guard offset < end else { return nil }
                let chunk = try await file.read(at: offset, length: Int(min(Int64(chunkSize), end - offset)))
                guard chunk.readableBytes > 0 else {
                    throw LarderError(.internalError, "blob \(digest) is shorter than recorded")
                }
                offset += Int64(chunk.readableBytes)
                return chunk
            }
        }
    }

    public func readAll(digest: String, maxSize: Int) async throws -> ByteBuffer? {
        guard let file = try PosixFile.openForReading(path(ofDigest: digest)) else { return nil }
        let size = file.size()
        guard size <= Int64(maxSize) else { throw LarderError(.internalError, "blob \(digest) is larger than \(maxSize) bytes") }
        var all = ByteBufferAllocator().buffer(capacity: Int(size))
        while Int64(all.readableBytes) < size {
            var chunk = try await file.read(at: Int64(all.readableBytes), length: Int(size) - all.readableBytes)
            guard chunk.readableBytes > 0 else { break }
            all.writeBuffer(&chunk)
        }
        return all
    }

    public func delete(digest: String) async throws {
        unlink(path(ofDigest: digest))
    }

    /// An advisory `flock` on `locks/<sha256 of key>.lock`, polled so no thread blocks while
    /// another process downloads. The lock dies with its process, so a crash frees it.
    public func lockFill(key: String) async throws -> any FillLock {
        let path = "\(root)/locks/\(SHA256.hash(data: Data(key.utf8)).hexDigest).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LarderError(.internalError, "cannot open lock \(path): \(String(cString: strerror(errno)))") }
        var waits = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw LarderError(.internalError, "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            do {
                try await Task.sleep(for: .milliseconds(waits < 20 ? 10 : 50))
            } catch {
                close(fd)
                throw error
            }
            waits += 1
        }
        return FileFillLock(fd: fd)
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

/// A held `flock`; closing the descriptor releases it.
final class FileFillLock: FillLock, @unchecked Sendable {
    private var fd: Int32
    private let lock = NSLock()

    init(fd: Int32) { self.fd = fd }

    func release() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
