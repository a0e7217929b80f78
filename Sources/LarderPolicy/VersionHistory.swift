public import Foundation

/// When Larder first saw a version, and what upstream said about its publish time: what a
/// cooldown ages the version by.
public struct VersionHistory: Sendable, Hashable {
    /// The publish time upstream's metadata gave, if any.
    public var published: Date?
    /// When Larder first saw the version listed.
    public var firstSeen: Date
    /// Whether the version was listed the first time Larder read its package's metadata (then
    /// its upstream date is believed); a version that appeared later counts from when it
    /// appeared, whatever date it claims, so that a back-dated release is not let straight in.
    public var baseline: Bool

    /// Creates a history.
    public init(published: Date?, firstSeen: Date, baseline: Bool) {
        self.published = published
        self.firstSeen = firstSeen
        self.baseline = baseline
    }

    /// The moment the version's age counts from: its publish time for versions of the first
    /// reading, the later of publish time and first sighting for versions that appeared since,
    /// and the first sighting for versions without a publish time (they count as new).
    public var agedFrom: Date {
        guard let published else { return firstSeen }
        return baseline ? published : max(published, firstSeen)
    }
}

/// Where version histories are kept (the index database).
public protocol VersionHistoryStore: Sendable {
    /// The recorded versions of a package.
    func histories(ecosystem: String, name: String) async throws -> [String: VersionHistory]
    /// Records versions not seen before, at `now`; when the package has no versions recorded
    /// yet they are its baseline. Returns the package's versions afterwards.
    func record(ecosystem: String, name: String, _ versions: [(version: String, published: Date?)], now: Date) async throws -> [String: VersionHistory]
}
