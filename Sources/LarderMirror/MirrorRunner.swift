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

/// Plans and fetches in one pipeline: a window of `concurrency` pieces of work, planning a
/// package (its documents) or fetching an artifact, is kept full from start to end. A package's
/// artifacts are fetched as soon as it is planned, while other packages are still being
/// planned, so that over a link with long round trips the run costs about
/// requests × round trip / concurrency, not the sum of a planning phase and a fetching phase
/// each ending with a tail of stragglers.
public enum MirrorRunner {
    /// Upstream requests at a time when the user names no number (`larder mirror`, the mirror
    /// API): chosen from `bench/mirror-wan.sh`, which mirrors over a link with 40 ms round
    /// trips, and close to the 15 sockets npm itself opens to a registry.
    public static let defaultConcurrency = 16

    /// What a run planned and did.
    public struct Run: Sendable {
        /// Everything planned, in the inputs' order.
        public var plan: MirrorPlan
        /// What fetching the plan's artifacts did.
        public var summary: MirrorSummary
    }

    /// Plans `purls` with `planner` and fetches what they name, at most `concurrency` pieces of
    /// work at once; artifacts already being fetched or planned are started before new packages
    /// are planned. `planned` is called as each package is planned (with its part of the plan,
    /// artifacts planned earlier for another package left out), `progress` as each artifact
    /// finishes (its `total` counts the artifacts planned so far). Cancellation stops starting
    /// new work.
    public static func run(
        _ purls: [PackageURL], problems: [MirrorProblem] = [], planner: MirrorPlanner, engine: Engine, concurrency: Int,
        planned: @Sendable (MirrorPlan) -> Void = { _ in }, progress: @Sendable (MirrorEvent) -> Void = { _ in }
    ) async -> Run {
        enum Finished: Sendable {
            case planned(Int, MirrorPlan)
            case fetched(PlannedArtifact, MirrorEvent.Outcome)
        }
        var parts = [MirrorPlan?](repeating: nil, count: purls.count)
        var queue: [PlannedArtifact] = []
        var queued = 0
        var seen = Set<String>()
        var nextPackage = 0
        var total = 0
        var done = 0
        var summary = MirrorSummary()
        await withTaskGroup(of: Finished.self) { group in
            func startNext() -> Bool {
                guard !Task.isCancelled else { return false }
                if queued < queue.count {
                    let artifact = queue[queued]
                    queued += 1
                    group.addTask { .fetched(artifact, await fetch(artifact, engine: engine)) }
                    return true
                }
                guard nextPackage < purls.count else { return false }
                let index = nextPackage
                nextPackage += 1
                group.addTask { .planned(index, await planner.planOne(purls[index])) }
                return true
            }
            var inFlight = 0
            while inFlight < max(concurrency, 1), startNext() { inFlight += 1 }
            while let finished = await group.next() {
                inFlight -= 1
                switch finished {
                case .planned(let index, var part):
                    part.artifacts = part.artifacts.filter { seen.insert($0.route.key).inserted }
                    parts[index] = part
                    queue += part.artifacts
                    total += part.artifacts.count
                    planned(part)
                case .fetched(let artifact, let outcome):
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
                }
                // A planned package may have queued several artifacts: fill the window again.
                while inFlight < max(concurrency, 1), startNext() { inFlight += 1 }
            }
        }
        return Run(plan: MirrorPlan(joining: parts.compactMap { $0 }, problems: problems), summary: summary)
    }

    private static func fetch(_ artifact: PlannedArtifact, engine: Engine) async -> MirrorEvent.Outcome {
        do {
            let (entry, fetched) = try await engine.ensureArtifact(artifact.route)
            return fetched ? .fetched(bytes: entry.size) : .skipped
        } catch let error as LarderError where artifact.optional && error.kind == .notFound {
            return .absent
        } catch {
            return .failed((error as? LarderError)?.message ?? "\(error)")
        }
    }
}
