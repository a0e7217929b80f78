import Foundation
public import LarderCore
public import Logging
import Synchronization

/// Runs mirror jobs in the background: starts, tracks, persists, cancels and resumes them, and
/// streams their progress. At start-up, jobs a stopped Larder left queued or running are marked
/// interrupted; at shutdown, running jobs are cancelled cleanly (and can be resumed).
public final class MirrorJobs: Sendable {
    private let engine: Engine
    private let catalogs: [any PackageCatalog]
    private let store: any MirrorJobStore
    private let logger: Logger
    /// The restricted upstreams a job started by the token of a name (nil: anonymous) may read.
    private let grant: @Sendable (String?) async -> UpstreamGrant

    private struct Running {
        var job: MirrorJob
        var task: Task<Void, Never>?
        var watchers: [UUID: AsyncStream<MirrorJob>.Continuation] = [:]
    }

    private let running = Mutex<[String: Running]>([:])
    private let accepting = Mutex(true)

    /// Creates the job runner and marks jobs left unfinished by an earlier run as interrupted.
    /// `grant` says which restricted upstreams a job may read, by the name of the token that
    /// started it; none by default.
    public init(
        engine: Engine, catalogs: [any PackageCatalog], store: any MirrorJobStore, logger: Logger,
        grant: @escaping @Sendable (String?) async -> UpstreamGrant = { _ in UpstreamGrant() }
    ) async throws {
        self.engine = engine
        self.grant = grant
        self.catalogs = catalogs
        self.store = store
        self.logger = logger
        for var job in try await store.jobs(limit: 10_000) where !job.state.isFinal {
            job.state = .interrupted
            try await store.save(job)
            logger.notice("mirror job interrupted by a restart; POST /api/mirror/\(job.id)/resume continues it", metadata: ["job": "\(job.id)"])
        }
    }

    /// Creates and starts a job for `inputs`, started by the token named `submittedBy`.
    public func submit(_ inputs: MirrorInputs, concurrency: Int, submittedBy: String? = nil) async throws -> MirrorJob {
        guard accepting.withLock({ $0 }) else { throw LarderError(.shuttingDown, "Larder is shutting down") }
        let job = MirrorJob(
            id: UUID().uuidString.lowercased(), state: .queued, purls: inputs.purls.map(\.description),
            inputProblems: MirrorJob.capped(inputs.problems.map(\.description)), concurrency: concurrency, submittedBy: submittedBy, createdAt: MirrorJob.now())
        try await store.save(job)
        _ = claim(job)
        start(job, problems: inputs.problems)
        return job
    }

    /// The job with `id`, live if running.
    public func job(_ id: String) async throws -> MirrorJob? {
        if let live = running.withLock({ $0[id]?.job }) { return live }
        return try await store.job(id: id)
    }

    /// The most recent jobs, newest first, live ones as they are now.
    public func jobs(limit: Int = 100) async throws -> [MirrorJob] {
        let live = running.withLock { $0.mapValues(\.job) }
        return try await store.jobs(limit: limit).map { live[$0.id] ?? $0 }
    }

    /// Cancels a queued or running job; returns it (nil when unknown).
    public func cancel(_ id: String) async throws -> MirrorJob? {
        if let task = running.withLock({ $0[id]?.task }) {
            task.cancel()
            await task.value
        }
        guard var job = try await job(id) else { return nil }
        if job.state == .interrupted {
            job.state = .cancelled
            job.finishedAt = MirrorJob.now()
            try await store.save(job)
        }
        return job
    }

    /// Continues an interrupted, failed or cancelled job; what is already stored is skipped.
    public func resume(_ id: String) async throws -> MirrorJob? {
        guard accepting.withLock({ $0 }) else { throw LarderError(.shuttingDown, "Larder is shutting down") }
        guard var job = try await job(id) else { return nil }
        guard job.state.isFinal, job.state != .done else {
            throw LarderError.badRequest("job \(id) is \(job.state.rawValue); only interrupted, failed or cancelled jobs can be resumed")
        }
        job.state = .queued
        job.errors = []
        job.progress = MirrorJob.Progress()
        job.finishedAt = nil
        // Two resumes at once must not start two runners: the first to claim the job runs it.
        guard claim(job) else { throw LarderError(.conflict, "job \(id) is already running; watch it or cancel it first") }
        do {
            try await store.save(job)
        } catch {
            running.withLock { _ = $0.removeValue(forKey: id) }
            throw error
        }
        start(job, problems: [])
        return job
    }

    /// The job's states from now until it ends (the current one first).
    public func events(_ id: String) async throws -> AsyncStream<MirrorJob>? {
        let (stream, continuation) = AsyncStream.makeStream(of: MirrorJob.self, bufferingPolicy: .bufferingNewest(16))
        let key = UUID()
        let live = running.withLock { table -> MirrorJob? in
            guard table[id] != nil else { return nil }
            table[id]!.watchers[key] = continuation
            return table[id]!.job
        }
        if let live {
            continuation.yield(live)
            continuation.onTermination = { [weak self] _ in self?.running.withLock { _ = $0[id]?.watchers.removeValue(forKey: key) } }
            return stream
        }
        guard let stored = try await store.job(id: id) else { return nil }
        continuation.yield(stored)
        continuation.finish()
        return stream
    }

    /// Stops accepting jobs and cancels the running ones (their state becomes interrupted, so
    /// they can be resumed after a restart).
    public func shutdown() async {
        accepting.withLock { $0 = false }
        let tasks = running.withLock { $0.values.compactMap(\.task) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    // MARK: Running

    /// Enters `job` in the table of running jobs; false when it is there already.
    private func claim(_ job: MirrorJob) -> Bool {
        running.withLock { table in
            guard table[job.id] == nil else { return false }
            table[job.id] = Running(job: job)
            return true
        }
    }

    /// Runs a claimed job.
    private func start(_ job: MirrorJob, problems: [MirrorProblem]) {
        let task = Task { await self.run(job.id, problems: problems) }
        running.withLock { $0[job.id]?.task = task }
    }

    private func run(_ id: String, problems: [MirrorProblem]) async {
        update(id) { job in
            job.state = .running
            job.startedAt = MirrorJob.now()
        }
        guard let job = running.withLock({ $0[id]?.job }) else { return }
        // Progress reaches the store twice a second; the saver stops before the final save.
        let saver = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                if let live = self.running.withLock({ $0[id]?.job }) { try? await self.store.save(live) }
            }
        }
        var purls: [PackageURL] = []
        for text in job.purls {
            if let purl = try? PackageURL(parsing: text, lenient: true) { purls.append(purl) }
        }
        @Sendable func count(_ problems: [MirrorProblem], in job: inout MirrorJob) {
            for problem in problems {
                if problem.kind == .failed {
                    job.progress.failed += 1
                    job.note(problem.description)
                } else {
                    job.progress.notMirrorable += 1
                }
            }
        }
        update(id) { count(problems, in: &$0) }
        // The job sees the restricted upstreams its token may read now (not when it was made).
        let summary = await UpstreamGrant.$current.withValue(await grant(job.submittedBy)) {
            await MirrorRunner.run(
                purls, planner: MirrorPlanner(engine: engine, catalogs: catalogs), engine: engine, concurrency: job.concurrency,
                planned: { part in
                    self.update(id) { job in
                        job.progress.total += part.artifacts.count
                        count(part.problems, in: &job)
                    }
                },
                progress: { event in
                    self.update(id) { job in
                        job.progress.done = event.done
                        switch event.outcome {
                        case .fetched(let bytes):
                            job.progress.fetched += 1
                            job.progress.bytes += bytes
                        case .skipped, .absent: job.progress.skipped += 1
                        case .failed(let reason):
                            job.progress.failed += 1
                            job.note("\(event.artifact.package) \(event.artifact.filename): \(reason)")
                        }
                    }
                }
            ).summary
        }
        let cancelled = Task.isCancelled
        saver.cancel()
        await saver.value
        let final = update(id) { job in
            if cancelled {
                job.state = self.accepting.withLock({ $0 }) ? .cancelled : .interrupted
            } else {
                job.state = job.progress.failed > 0 ? .failed : .done
            }
            job.finishedAt = MirrorJob.now()
        }
        // The final state must be stored even when the job was cancelled (the store's writes
        // honour cancellation), so it is saved outside this task.
        if let final {
            let store = self.store
            await Task.detached { try? await store.save(final) }.value
        }
        let watchers = running.withLock { table in table.removeValue(forKey: id)?.watchers.values.map { $0 } ?? [] }
        for watcher in watchers { watcher.finish() }
        logger.info("mirror job ended", metadata: ["job": "\(id)", "state": "\(final?.state.rawValue ?? "?")", "fetched": "\(summary.fetched)", "failed": "\(summary.failed.count)"])
    }

    /// Applies `change` to the live job and tells its watchers.
    @discardableResult
    private func update(_ id: String, _ change: (inout MirrorJob) -> Void) -> MirrorJob? {
        let (job, watchers) = running.withLock { table -> (MirrorJob?, [AsyncStream<MirrorJob>.Continuation]) in
            guard var entry = table[id] else { return (nil, []) }
            change(&entry.job)
            table[id] = entry
            return (entry.job, Array(entry.watchers.values))
        }
        guard let job else { return nil }
        for watcher in watchers { watcher.yield(job) }
        return job
    }
}
