#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open file descriptors. Every client connection, upstream connection,
/// blob being streamed and index connection takes one, so Larder raises the soft limit to the
/// hard one at start and keeps a share of it free for its own work (`max_connections`).
public enum DescriptorLimit {
    /// The soft limit (what the process may open now); `Int.max` when unlimited.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit; returns the limits before and after.
    @discardableResult
    public static func raiseToHardLimit() -> (from: Int, to: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (current, current) }
        let before = current
        if limit.rlim_cur != limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return (before, current)
    }

    /// The default bound on client connections: a quarter of the descriptors (a cache miss
    /// takes up to four: the client's connection, the upstream's, the staging file and the
    /// index), at least 16 and at most a million.
    public static var defaultMaxConnections: Int {
        min(1 << 20, max(16, current / 4))
    }
}
