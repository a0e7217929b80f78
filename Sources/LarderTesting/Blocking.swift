import Foundation

/// Runs blocking work (waiting for a child process, a socket read) on a thread of its own.
///
/// On Linux, Swift's concurrency pool and `DispatchQueue.global()` share libdispatch's worker
/// threads, which grow by about one a second when blocked: blocking either of them stalls an
/// in-process server under test. A dedicated thread blocks nothing else.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try work())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}
