/// Decides whether downloaded bytes are the artifact the registry promised. A plain digest
/// (`Integrity`) is the common case; protocols whose checksums are not file digests (Go's `h1:`
/// tree hash of a module zip) or that publish them separately (Maven's checksum files) provide
/// their own. The engine computes the digests a verifier asks for while the bytes stream, then
/// calls `verify` before committing; a throw means the bytes are neither stored nor served whole.
public protocol ArtifactVerifier: Sendable {
    /// Digests to compute while the bytes stream (SHA-256 is always computed).
    var algorithms: Set<Integrity.Algorithm> { get }

    /// Called once when upstream starts sending the body, so a verifier can start fetching what
    /// it checks against (a checksum file) while the artifact downloads.
    func begin()

    /// Checks the staged bytes and says what they were checked against, or that there was nothing
    /// to check against; throws `integrityMismatch` (or another error that explains why the bytes
    /// could not be checked), and the bytes are then neither stored nor served whole.
    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification
}

/// What a verifier found.
public enum Verification: Sendable, Equatable {
    /// The bytes match; the text says what they were checked against.
    case verified(String)
    /// Upstream published nothing to check them against (the text says what was missing); they
    /// are stored, and the engine logs it.
    case unverified(String)
}

extension ArtifactVerifier {
    public func begin() {}
}

/// A downloaded artifact waiting in a staging file for verification.
public struct StagedArtifact: Sendable {
    /// The staging file (complete, not yet committed).
    public let path: String
    /// Its size in bytes.
    public let size: Int64
    /// The digests computed while it streamed: SHA-256 and those the verifier asked for.
    public let digests: [Integrity.Algorithm: String]
    /// Where it was fetched from (credentials removed), for messages.
    public let url: String

    /// Creates a staged artifact description.
    public init(path: String, size: Int64, digests: [Integrity.Algorithm: String], url: String) {
        self.path = path
        self.size = size
        self.digests = digests
        self.url = url
    }
}

extension Integrity: ArtifactVerifier {
    public var algorithms: Set<Integrity.Algorithm> { [algorithm] }

    public func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        let actual = artifact.digests[algorithm]
        guard actual == hex else {
            throw LarderError(.integrityMismatch, "upstream \(artifact.url) served bytes with \(algorithm.rawValue) \(actual ?? "?"), but its registry promised \(hex); not stored")
        }
        return .verified("the \(algorithm.rawValue) its registry promised")
    }
}
