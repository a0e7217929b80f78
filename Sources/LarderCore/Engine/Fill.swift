import Foundation
import NIOCore
import Synchronization

/// One upstream download of an artifact, shared by every client that asks for it while it runs.
///
/// The download is written to a staging file while it is hashed; readers read that same file
/// (by descriptor, so the commit's rename does not disturb them) as bytes arrive, each at its own
/// pace. A reader is never handed the last byte before the digest is verified and the blob is
/// committed, so a client can never receive a corrupt or cut artifact as complete.
final class Fill: Sendable {
    /// What readers learn once upstream answers.
    struct Head: Sendable {
        var contentLength: Int64?
        /// The content type upstream gave.
        var contentType: String?
        /// Upstream headers the route keeps, to send with the bytes.
        var headers: [(String, String)] = []
        /// Set when another process sharing the store committed the key meanwhile: readers serve
        /// that entry instead of this fill's bytes.
        var stored: CacheEntry?
    }

    enum Outcome: Sendable {
        /// Stored; `fetched` is false when another process had stored it.
        case committed(CacheEntry, fetched: Bool)
        /// Verified and streamed to its readers, not stored (nobody who asked may fill the cache).
        case streamed
        case failed(LarderError)
    }

    private struct State {
        var head: Result<Head, LarderError>?
        var file: PosixFile?
        var written: Int64 = 0
        var outcome: Outcome?
        var version = 0
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
        /// Whether the bytes are stored once verified; any reader that may fill the cache turns
        /// it on until the decision is taken.
        var commit: Bool
        var decided = false
    }

    let key: String
    private let state: Mutex<State>

    init(key: String, commit: Bool) {
        self.key = key
        self.state = Mutex(State(commit: commit))
    }

    /// Asks for the bytes to be stored (a reader that may fill the cache joined).
    func requestCommit() { state.withLock { if !$0.decided { $0.commit = true } } }

    /// Whether the download will be stored (a reader asked for it before the decision).
    var commitRequested: Bool { state.withLock { $0.commit } }

    /// Takes the decision whether to store the verified bytes; later requests do not change it.
    func decideCommit() -> Bool {
        state.withLock { s in
            s.decided = true
            return s.commit
        }
    }

    // MARK: Writer side

    func setFile(_ file: PosixFile) { state.withLock { $0.file = file } }

    func publishHead(_ head: Result<Head, LarderError>) { update { $0.head = head } }

    func publishWritten(_ total: Int64) { update { $0.written = total } }

    func finish(_ outcome: Outcome) {
        update { s in
            if s.head == nil, case .failed(let error) = outcome { s.head = .failure(error) }
            s.outcome = outcome
        }
    }

    private func update(_ change: (inout State) -> Void) {
        let waiters = state.withLock { s in
            change(&s)
            s.version += 1
            defer { s.waiters = [] }
            return s.waiters
        }
        for (_, continuation) in waiters { continuation.resume() }
    }

    /// Waits until the state changes from version `seen`.
    private func waitForChange(after seen: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.version != seen { return true }
                s.waiters.append((seen, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    // MARK: Reader side

    /// Waits for upstream's answer.
    func head() async -> Result<Head, LarderError> {
        while true {
            let (head, version) = state.withLock { ($0.head, $0.version) }
            if let head { return head }
            await waitForChange(after: version)
        }
    }

    /// Waits for the fill to end; a cancelled caller stops waiting (the download goes on for
    /// the others).
    func outcome() async throws -> Outcome {
        try await withTaskCancellationHandler {
            while true {
                try Task.checkCancellation()
                let (outcome, version) = state.withLock { ($0.outcome, $0.version) }
                if let outcome { return outcome }
                await waitForChange(after: version)
            }
        } onCancel: {
            self.update { _ in }
        }
    }

    /// The bytes of the download, from the start, as they arrive; ends only after the blob is
    /// verified and committed, throws if the download fails.
    func chunks(length: Int64?, chunkSize: Int) -> ByteChunks {
        ByteChunks(length: length) { [self] in
            var offset: Int64 = 0
            return {
                while true {
                    let (written, outcome, file, version) = self.state.withLock { ($0.written, $0.outcome, $0.file, $0.version) }
                    if case .failed(let error) = outcome { throw error }
                    let committed = outcome != nil  // committed or streamed: verified either way
                    // Hold the last byte back until the digest is verified.
                    let limit = committed ? written : max(written - 1, 0)
                    if offset < limit, let file {
                        let chunk = try await file.read(at: offset, length: Int(min(Int64(chunkSize), limit - offset)))
                        guard chunk.readableBytes > 0 else {
                            throw LarderError(.internalError, "staging file for \(self.key) is shorter than written")
                        }
                        offset += Int64(chunk.readableBytes)
                        return chunk
                    }
                    if committed { return nil }
                    await self.waitForChange(after: version)
                }
            }
        }
    }
}
