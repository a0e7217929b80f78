#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// A file descriptor whose blocking reads and writes run on NIO's thread pool, never on the
/// caller's executor. It closes itself when released, so an abandoned read (a client that
/// disconnects mid-download) never leaks a descriptor.
final class PosixFile: @unchecked Sendable {
    let fd: Int32
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Wraps an open descriptor (tests give it one that cannot be synced).
    init(testingDescriptor fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Opens `path` for reading; nil when it does not exist.
    static func openForReading(_ path: String) throws -> PosixFile? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw LarderError.storage("cannot open \(path)")
        }
        return PosixFile(fd: fd, path: path)
    }

    /// Creates `path` for reading and writing; it must not exist.
    static func create(_ path: String) throws -> PosixFile {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LarderError.storage("cannot create \(path)") }
        return PosixFile(fd: fd, path: path)
    }

    /// Reads up to `length` bytes at `offset`; an empty buffer at the end of the file.
    func read(at offset: Int64, length: Int) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { [fd, path] in
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
                let n = pread(fd, pointer.baseAddress, length, off_t(offset))
                return n < 0 ? 0 : n
            }
            if count == 0 && length > 0 {
                var info = stat()
                if fstat(fd, &info) == 0, Int64(info.st_size) > offset {
                    throw LarderError.storage("cannot read \(path)")
                }
            }
            return buffer
        }
    }

    /// Writes all of `buffer` at `offset`.
    func write(_ buffer: ByteBuffer, at offset: Int64) async throws {
        try await NIOThreadPool.singleton.runIfActive { [fd, path] in
            try buffer.withUnsafeReadableBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw LarderError.storage("cannot write \(path)")
                    }
                    done += n
                }
            }
        }
    }

    /// Flushes written data to disk; a failure (the disk is full or failing) fails the commit.
    func sync() async throws {
        try await NIOThreadPool.singleton.runIfActive { [fd, path] in
            guard fsync(fd) == 0 else { throw LarderError.storage("cannot flush \(path) to disk") }
        }
    }

    /// Flushes a directory's entries (a rename into it) to disk.
    static func syncDirectory(_ path: String) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw LarderError.storage("cannot open directory \(path)") }
            defer { close(fd) }
            guard fsync(fd) == 0 else { throw LarderError.storage("cannot flush directory \(path) to disk") }
        }
    }

    /// The file's current size.
    func size() -> Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }
}
