#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A budget of bytes shared by every request: metadata documents being validated, parsed or
/// rendered reserve their share first, and wait (a bounded time) while others hold it, so many
/// large documents at once cannot exhaust memory.
final class MemoryBudget: Sendable {
    /// The bytes the budget holds.
    let capacity: Int
    private struct State {
        var used = 0
        var waiting: [(id: Int, bytes: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// Bytes reserved now.
    var used: Int { state.withLock { $0.used } }
    /// Reservations waiting now.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Runs `body` holding `bytes` of the budget (all of it for a reservation larger than the
    /// whole budget, which then runs alone); waits at most `wait` for them, then throws a 503
    /// naming `setting`.
    func withReservation<T>(_ bytes: Int, wait: Duration, setting: String, _ body: () async throws -> T) async throws -> T {
        let share = min(max(bytes, 0), capacity)
        try await reserve(share, wait: wait, setting: setting)
        defer { release(share) }
        return try await body()
    }

    private func reserve(_ bytes: Int, wait: Duration, setting: String) async throws {
        let id = state.withLock { s -> Int? in
            if s.waiting.isEmpty && s.used + bytes <= capacity {
                s.used += bytes
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        let timer = Task {
            try? await Task.sleep(for: wait)
            self.expire(id)
        }
        defer { timer.cancel() }
        let granted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let grantedNow = state.withLock { s -> Bool in
                if s.waiting.isEmpty && s.used + bytes <= capacity {
                    s.used += bytes
                    return true
                }
                s.waiting.append((id, bytes, continuation))
                return false
            }
            if grantedNow { continuation.resume(returning: true) }
        }
        guard granted else {
            throw LarderError(.overloaded, "Larder's memory for metadata (\(setting)) is taken by other requests; try again shortly", headers: [("Retry-After", "1")])
        }
    }

    private func release(_ bytes: Int) {
        let granted = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.used -= bytes
            return grant(&s)
        }
        for continuation in granted { continuation.resume(returning: true) }
        if bytes >= Self.trimThreshold { Self.returnFreedMemory() }
    }

    /// Reservations this large return the heap they freed to the system when they end.
    static let trimThreshold = 64 << 20

    /// Gives freed heap back to the system: after a large document was parsed, glibc keeps the
    /// pages otherwise, and the process stays at its peak.
    static func returnFreedMemory() {
        _ = trim?(0)
    }

    /// glibc's `malloc_trim`, found at run time (Swift's Glibc module does not declare it); nil
    /// on other C libraries.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }  // glibc's RTLD_DEFAULT is a null handle
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Grants waiting reservations in order while they fit: first come, first served, the head
    /// waits for room rather than being overtaken.
    private func grant(_ s: inout State) -> [CheckedContinuation<Bool, Never>] {
        var granted: [CheckedContinuation<Bool, Never>] = []
        while let head = s.waiting.first, s.used + head.bytes <= capacity {
            s.used += head.bytes
            granted.append(head.continuation)
            s.waiting.removeFirst()
        }
        return granted
    }

    private func expire(_ id: Int) {
        let (expired, granted) = state.withLock { s -> (CheckedContinuation<Bool, Never>?, [CheckedContinuation<Bool, Never>]) in
            guard let index = s.waiting.firstIndex(where: { $0.id == id }) else { return (nil, []) }
            let expired = s.waiting.remove(at: index).continuation
            return (expired, grant(&s))
        }
        expired?.resume(returning: false)
        for continuation in granted { continuation.resume(returning: true) }
    }
}
