public import LarderCore

/// What a mirror run did.
public struct MirrorSummary: Sendable {
    /// Artifacts downloaded and stored.
    public var fetched = 0
    /// Artifacts already stored.
    public var skipped = 0
    /// Optional artifacts (checksum files) upstream does not have.
    public var absent = 0
    /// Artifacts that could not be fetched, with reasons.
    public var failed: [(artifact: PlannedArtifact, reason: String)] = []
    /// Bytes downloaded.
    public var bytes: Int64 = 0

    /// Creates an empty summary.
    public init() {}
}

/// One finished artifact, reported as the run goes.
public struct MirrorEvent: Sendable {
    /// What happened.
    public enum Outcome: Sendable {
        case fetched(bytes: Int64)
        case skipped
        /// Optional, and upstream does not have it.
        case absent
        case failed(String)
    }

    /// The artifact.
    public var artifact: PlannedArtifact
    /// What happened to it.
    public var outcome: Outcome
    /// Artifacts finished so far, including this one.
    public var done: Int
    /// Artifacts in the plan.
    public var total: Int
}

/// Fetches a plan's artifacts through the engine with a bounded number at a time.
public enum MirrorRunner {
    /// Runs `plan` with at most `concurrency` downloads at once, calling `progress` as each
    /// artifact finishes. Cancellation stops starting new downloads.
    public static func run(_ plan: MirrorPlan, engine: Engine, concurrency: Int, progress: @Sendable (MirrorEvent) -> Void = { _ in }) async -> MirrorSummary {
        var summary = MirrorSummary()
        let total = plan.artifacts.count
        var done = 0
        await withTaskGroup(of: (PlannedArtifact, MirrorEvent.Outcome).self) { group in
            var pending = plan.artifacts.makeIterator()
            func startNext() -> Bool {
                guard !Task.isCancelled, let artifact = pending.next() else { return false }
                group.addTask {
                    do {
                        let (entry, fetched) = try await engine.ensureArtifact(artifact.route)
                        return (artifact, fetched ? .fetched(bytes: entry.size) : .skipped)
                    } catch let error as LarderError where artifact.optional && error.kind == .notFound {
                        return (artifact, .absent)
                    } catch {
                        return (artifact, .failed((error as? LarderError)?.message ?? "\(error)"))
                    }
                }
                return true
            }
            for _ in 0..<max(concurrency, 1) where startNext() {}
            while let (artifact, outcome) = await group.next() {
                done += 1
                switch outcome {
                case .fetched(let bytes):
                    summary.fetched += 1
                    summary.bytes += bytes
                case .skipped: summary.skipped += 1
                case .absent: summary.absent += 1
                case .failed(let reason): summary.failed.append((artifact, reason))
                }
                progress(MirrorEvent(artifact: artifact, outcome: outcome, done: done, total: total))
                _ = startNext()
            }
        }
        return summary
    }
}
