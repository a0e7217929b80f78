import Foundation
import Synchronization

/// The right to fill one key, across processes sharing a data directory: an advisory `flock` on
/// a lock file, polled so no thread blocks while another process downloads. The lock dies with
/// its process, so a crash frees it. The holder removes the file when it is done, so `locks/`
/// holds only keys being filled; a process that locked a file another holder had just removed
/// sees that the path no longer names its file and tries again, so two processes never both
/// hold a key.
final class FileFillLock: FillLock {
    private let state: Mutex<Int32>
    private let path: String

    private init(fd: Int32, path: String) {
        self.state = Mutex(fd)
        self.path = path
    }

    /// Waits for and takes the lock at `path`; cancellation stops the wait.
    static func acquire(_ path: String) async throws -> FileFillLock {
        var waits = 0
        while true {
            let fd = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw LarderError.storage("cannot open lock \(path)") }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                if namesSameFile(fd, path) { return FileFillLock(fd: fd, path: path) }
                close(fd)  // the previous holder removed it meanwhile: lock the new one
                continue
            }
            let code = errno
            close(fd)
            guard code == EWOULDBLOCK || code == EINTR else {
                throw LarderError.storage("cannot lock \(path)", errno: code)
            }
            try await Task.sleep(for: .milliseconds(waits < 20 ? 10 : 50))
            waits += 1
        }
    }

    /// Whether `path` still names the file open as `fd`.
    private static func namesSameFile(_ fd: Int32, _ path: String) -> Bool {
        var open = stat()
        var named = stat()
        return fstat(fd, &open) == 0 && stat(path, &named) == 0 && open.st_ino == named.st_ino && open.st_dev == named.st_dev
    }

    func release() {
        state.withLock { fd in
            guard fd >= 0 else { return }
            // Remove the file while still holding the lock, then let go of it.
            unlink(path)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
