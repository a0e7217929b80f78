import Foundation

/// A mirror run started through the HTTP API: what it was asked, where it is, what went wrong.
public struct MirrorJob: Codable, Sendable, Equatable {
    /// A job's life.
    public enum State: String, Codable, Sendable {
        case queued, running, done, failed, cancelled
        /// Running or queued when Larder stopped; `resume` continues it.
        case interrupted

        /// Whether the job has ended (it changes no more unless resumed).
        public var isFinal: Bool { self != .queued && self != .running }
    }

    /// Live counts.
    public struct Progress: Codable, Sendable, Equatable {
        /// Artifacts planned.
        public var total = 0
        /// Artifacts finished (fetched, skipped or failed).
        public var done = 0
        /// Artifacts downloaded.
        public var fetched = 0
        /// Artifacts already stored, and optional ones (checksum files) upstream does not have.
        public var skipped = 0
        /// Artifacts and inputs that failed.
        public var failed = 0
        /// Inputs that cannot be mirrored (unsupported ecosystems, no version).
        public var notMirrorable = 0
        /// Bytes downloaded.
        public var bytes: Int64 = 0
    }

    /// The job's id.
    public var id: String
    /// Its state.
    public var state: State
    /// The package URLs it plans (from every input, deduplicated).
    public var purls: [String]
    /// Problems found reading the inputs, kept for the run's report.
    public var inputProblems: [String]
    /// Downloads at a time.
    public var concurrency: Int
    /// The name of the token that started it; nil when started anonymously. The job reads the
    /// restricted upstreams that token may read when it runs.
    public var submittedBy: String?
    /// Counts.
    public var progress = Progress()
    /// The first errors, at most `MirrorJob.errorLimit`.
    public var errors: [String] = []
    /// When it was created, started and finished (ISO 8601).
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?

    /// How many error messages a job keeps, so a huge job cannot exhaust memory.
    public static let errorLimit = 50

    /// How many input problems a job keeps; the rest are counted in a last line.
    public static let problemLimit = 100

    /// The first `problemLimit` problems, and a line counting the others.
    static func capped(_ problems: [String]) -> [String] {
        guard problems.count > problemLimit else { return problems }
        return Array(problems.prefix(problemLimit)) + ["and \(problems.count - problemLimit) more problems with the inputs"]
    }

    /// Records an error, keeping the first `errorLimit`.
    mutating func note(_ error: String) {
        if errors.count < Self.errorLimit { errors.append(error) }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}

/// Where jobs are kept: the index database, so they survive restarts.
public protocol MirrorJobStore: Sendable {
    /// Stores or replaces a job.
    func save(_ job: MirrorJob) async throws
    /// The job with `id`.
    func job(id: String) async throws -> MirrorJob?
    /// The most recent jobs, newest first.
    func jobs(limit: Int) async throws -> [MirrorJob]
}
