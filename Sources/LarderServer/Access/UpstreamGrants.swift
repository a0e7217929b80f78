public import LarderCore
import LarderEcosystems
import Synchronization

/// Which restricted upstreams (`upstreams.<ecosystem>[i].readers`) each token may read. A reader
/// entry that is a role (`read`, `write`, `admin`) grants every token with that role or a higher
/// one; any other entry grants the token of that name. Anonymous requests are granted nothing.
final class UpstreamGrants: Sendable {
    /// The restricted upstreams: identifier and readers.
    private let restricted: [(id: String, readers: [String])]
    /// The identifiers of each ecosystem's restricted upstreams, keyed as routes name the
    /// ecosystem (`EngineConfiguration.restrictedUpstreams`).
    let byEcosystem: [String: Set<String>]
    /// Grants worked out, by role and token name: a hit costs no set building or hashing.
    private let memo = Mutex<[String: UpstreamGrant]>([:])
    /// The most grants remembered.
    private static let memoLimit = 10_000

    /// The grants `upstreams` (by configuration name) make; `adapters` name the ecosystems the
    /// way their routes do.
    init(upstreams: [String: [Upstream]], adapters: [any EcosystemAdapter]) {
        var restricted: [(String, [String])] = []
        var byEcosystem: [String: Set<String>] = [:]
        for ecosystem in Ecosystems.all {
            let ids = (upstreams[ecosystem.name] ?? []).filter(\.isRestricted)
            guard !ids.isEmpty else { continue }
            restricted += ids.map { ($0.id, $0.readers) }
            let routeName = adapters.first { $0.mount == ecosystem.name }?.ecosystem ?? ecosystem.name
            byEcosystem[routeName, default: []].formUnion(ids.map(\.id))
        }
        self.restricted = restricted
        self.byEcosystem = byEcosystem
    }

    /// Whether any upstream is restricted.
    var isEmpty: Bool { restricted.isEmpty }

    /// The restricted upstreams `token` may read (nil: anonymous, granted none).
    func grant(for token: AccessToken?) -> UpstreamGrant {
        guard let token, !restricted.isEmpty else { return UpstreamGrant() }
        let key = token.role.rawValue + "\u{0}" + token.name
        if let known = memo.withLock({ $0[key] }) { return known }
        let grant = UpstreamGrant(Set(restricted.filter { $0.readers.contains { Self.reader($0, admits: token) } }.map(\.id)))
        memo.withLock { memo in
            if memo.count >= Self.memoLimit { memo.removeAll() }
            memo[key] = grant
        }
        return grant
    }

    /// Whether the `readers` entry `entry` admits `token`.
    static func reader(_ entry: String, admits token: AccessToken) -> Bool {
        if let role = AccessRole(rawValue: entry) { return token.role >= role }
        return token.name == entry
    }
}

extension LarderConfiguration {
    /// The settings (`upstreams.npm[0]`) of the restricted upstreams `token` may read, in
    /// ecosystem order: what `larder token list` shows.
    public func restrictedUpstreams(readableBy token: AccessToken) -> [String] {
        Ecosystems.all.flatMap { ecosystem in
            (upstreams[ecosystem.name] ?? []).filter { upstream in upstream.readers.contains { UpstreamGrants.reader($0, admits: token) } }.map(\.setting)
        }
    }
}
