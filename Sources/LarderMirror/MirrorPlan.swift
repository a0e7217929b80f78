public import LarderCore

/// What a mirror run will fetch, and what it cannot, with reasons.
public struct MirrorPlan: Sendable {
    /// The artifacts to fetch (or already stored), each once.
    public var artifacts: [PlannedArtifact] = []
    /// Inputs that cannot be mirrored.
    public var problems: [MirrorProblem] = []
    /// Metadata documents cached for offline installs.
    public var metadataDocuments = 0

    /// Creates an empty plan.
    public init() {}

    /// The plans of several packages as one, in their order, after `problems` found in the
    /// inputs; an artifact two packages share is kept once.
    init(joining parts: [MirrorPlan], problems: [MirrorProblem]) {
        self.problems = problems
        var seen = Set<String>()
        for part in parts {
            metadataDocuments += part.metadataDocuments
            self.problems += part.problems
            artifacts += part.artifacts.filter { seen.insert($0.route.key).inserted }
        }
    }
}

/// One artifact of a plan.
public struct PlannedArtifact: Sendable {
    /// The package URL of the release it belongs to.
    public var package: String
    /// Its file name.
    public var filename: String
    /// Its size when the metadata gives it.
    public var size: Int64?
    /// The route that fetches and stores it.
    public var route: Route
    /// Whether it was already stored when planned.
    public var cached: Bool
    /// Whether upstream may lack it (a checksum file): its absence is not a failure.
    public var optional = false
}

/// An input that cannot be mirrored, and why.
public struct MirrorProblem: Sendable, Equatable, CustomStringConvertible {
    /// How serious it is.
    public enum Kind: String, Sendable {
        /// Larder does not serve the ecosystem yet, or the input names no package: reported, not an error.
        case unsupported
        /// The input is wrong or upstream lacks the package: the run fails.
        case failed
    }

    /// The input concerned (a package URL, an SBOM component, a lockfile entry).
    public var subject: String
    /// Why.
    public var reason: String
    /// How serious.
    public var kind: Kind

    /// Creates a problem.
    public init(subject: String, reason: String, kind: Kind) {
        self.subject = subject
        self.reason = reason
        self.kind = kind
    }

    public var description: String { "\(subject): \(reason)" }
}
