public import Foundation

/// The rules that decide which packages and versions Larder serves, fetches and lists: the
/// engine asks before it answers a route that names its package, and presenters ask before they
/// list a version. An implementation keeps its rules in memory: every question about rules is
/// answered without I/O, on the hit path; a cooldown needs each version's history, which is
/// kept in memory once read.
public protocol PackagePolicy: Sendable {
    /// Whether `package` (a version of it, or with no version the package as a whole, for its
    /// metadata) may be served and fetched, and if not, why.
    func verdict(ecosystem: String, package: PackageRef) -> PolicyVerdict
    /// A text that changes whenever verdicts on `name`'s versions may change (a rule added or
    /// removed): renderings that filter by the policy are kept per stamp.
    func stamp(ecosystem: String, name: String) -> String
    /// A text that changes whenever a verdict on any package of `ecosystem` may change (cooldowns
    /// aside); nil when every package of the ecosystem is allowed, so that documents listing many
    /// packages are served as they are.
    func stamp(ecosystem: String) -> String?
    /// A number that changes whenever any verdict may change: answers the server keeps for
    /// repeated hits are dropped when it moves.
    var generation: Int64 { get }
    /// The versions of `name` metadata may list: ``VersionFilter/everything`` when no rule
    /// touches the package (presenters then skip filtering).
    func versionFilter(ecosystem: String, name: String) -> VersionFilter
    /// Whether versions of `ecosystem` are held back by age (a cooldown or a freeze date), so
    /// that the engine records when each version appeared and asks ``admission(ecosystem:package:)``
    /// and ``agedVersionFilter(ecosystem:name:now:)``.
    func ages(ecosystem: String) -> Bool
    /// The verdict with age taken into account: a version younger than its cooldown, or newer
    /// than the freeze date, is refused with the date it becomes available.
    func admission(ecosystem: String, package: PackageRef) async throws -> PolicyVerdict
    /// Records the versions a stored document of `name` lists with their publish times (first
    /// sightings are kept; a package seen for the first time is aged by its upstream dates).
    func recordVersions(ecosystem: String, name: String, _ versions: [VersionDate]) async throws
    /// The versions of `name` the history holds (seen listed, with or without a date).
    func knownVersions(ecosystem: String, name: String) async throws -> Set<String>
    /// The versions metadata may list now, and when that changes next by age alone (a hidden
    /// version comes of age); nil when it does not.
    func agedVersionFilter(ecosystem: String, name: String, now: Date) async throws -> (filter: VersionFilter, validUntil: Date?)
}

extension PackagePolicy {
    public func versionFilter(ecosystem: String, name: String) -> VersionFilter {
        VersionFilter { self.verdict(ecosystem: ecosystem, package: PackageRef(name, version: $0)).isAllowed }
    }

    public func ages(ecosystem: String) -> Bool { false }

    public func admission(ecosystem: String, package: PackageRef) async throws -> PolicyVerdict { verdict(ecosystem: ecosystem, package: package) }

    public func recordVersions(ecosystem: String, name: String, _ versions: [VersionDate]) async throws {}

    public func knownVersions(ecosystem: String, name: String) async throws -> Set<String> { [] }

    public func agedVersionFilter(ecosystem: String, name: String, now: Date) async throws -> (filter: VersionFilter, validUntil: Date?) {
        (versionFilter(ecosystem: ecosystem, name: name), nil)
    }
}

/// A version a metadata document lists, and when upstream says it was published (nil when the
/// document does not say).
public struct VersionDate: Sendable, Hashable {
    /// The version.
    public var version: String
    /// Its publish time.
    public var published: Date?

    /// Creates a version date.
    public init(_ version: String, published: Date?) {
        self.version = version
        self.published = published
    }
}

/// What a policy decided about a package or version.
public enum PolicyVerdict: Sendable, Equatable {
    /// It may be served and fetched.
    case allowed
    /// It may not: the reason says which rule refused it, and what to do about it.
    case refused(String)

    /// Whether it was allowed.
    public var isAllowed: Bool { self == .allowed }
}

/// The versions of one package a rendering may list, as the policy decided when it was made.
public struct VersionFilter: Sendable {
    private let test: @Sendable (String) -> Bool
    /// True for ``everything``: a presenter need not look at versions at all.
    public let allowsEverything: Bool

    /// A filter allowing the versions `test` accepts.
    public init(_ test: @escaping @Sendable (String) -> Bool) {
        self.test = test
        self.allowsEverything = false
    }

    private init() {
        self.test = { _ in true }
        self.allowsEverything = true
    }

    /// Whether `version` may be listed.
    public func allows(_ version: String) -> Bool { allowsEverything || test(version) }

    /// A filter that allows every version.
    public static let everything = VersionFilter()
}
