import Foundation

extension Route {
    /// Separates a key from the tag of the view it belongs to. U+0001 appears in no key a
    /// route builds from a request (control characters are refused in paths).
    static let viewSeparator = "\u{1}view\u{1}"

    /// A stored key as people read it: a granted view's tag written `key#view=tag`.
    public static func displayKey(_ key: String) -> String {
        key.replacingOccurrences(of: viewSeparator, with: "#view=")
    }
}

/// What one grant sees of one ecosystem: the tag its keys carry ("" for the public view) and
/// the restricted upstreams hidden from it.
struct UpstreamView: Sendable {
    var tag: String
    var hidden: Set<String>
}

extension Engine {
    /// The view `grant` has of `ecosystem`, whose restricted upstreams are `restricted`.
    func view(of ecosystem: String, restricted: Set<String>, grant: UpstreamGrant) -> UpstreamView {
        let key = ecosystem + "\u{0}" + grant.tag
        if let known = views.withLock({ $0[key] }) { return known }
        let granted = restricted.intersection(grant.upstreams)
        let view = UpstreamView(tag: UpstreamGrant.tag(of: granted), hidden: restricted.subtracting(granted))
        views.withLock { views in
            if views.count >= 10_000 { views.removeAll() }
            views[key] = view
        }
        return view
    }

    /// `route` as the requester of the current task sees it (`UpstreamGrant.current`). In an
    /// ecosystem with restricted upstreams, the restricted upstreams the requester is not
    /// granted are left out of its sources, and a requester granted some gets its own view of
    /// the cache: its keys carry a tag naming the granted set. So a private package is never
    /// served to, nor listed for, anyone not granted its upstream, and a public package of the
    /// same name fetched by someone else can never stand in for it (dependency confusion).
    /// Everyone granted nothing shares the plain keys. Routes of other ecosystems, and routes
    /// already fitted, are returned as they are.
    func scoped(_ route: Route) -> Route {
        guard route.view == nil, let restricted = configuration.restrictedUpstreams[route.ecosystem], !restricted.isEmpty else { return route }
        let grant = UpstreamGrant.current
        let view = view(of: route.ecosystem, restricted: restricted, grant: grant)
        let (tag, hidden) = (view.tag, view.hidden)
        var fitted = route
        fitted.view = tag
        if !tag.isEmpty { fitted.key += Route.viewSeparator + tag }
        let sources = route.sources
        fitted.sources = {
            // Whatever resolving the sources asks the engine (a package's metadata) is asked
            // in the same view.
            let all = try await UpstreamGrant.$current.withValue(grant) { try await sources() }
            let visible = all.filter { source in source.request.upstreamID.map { !hidden.contains($0) } ?? false }
            // Nothing left, or nothing offered because the adapter skipped what it may not read.
            if visible.isEmpty && (!all.isEmpty || !hidden.isEmpty) {
                throw LarderError(.notFound, "not found in any upstream this client may read")
            }
            return visible
        }
        fitted.datedBy = route.datedBy.map(scoped)
        return fitted
    }

    /// Whether the requester of the current task may read `upstream` of `ecosystem`: for
    /// adapters that consult each upstream's own documents while resolving a route (a
    /// registry's root document), so that they skip the ones the requester may not read.
    public func mayRead(_ upstream: Upstream, ecosystem: String) -> Bool {
        guard let restricted = configuration.restrictedUpstreams[ecosystem], restricted.contains(upstream.id) else { return true }
        return !view(of: ecosystem, restricted: restricted, grant: UpstreamGrant.current).hidden.contains(upstream.id)
    }

    /// The entry stored for `route` in the current requester's view.
    public func lookup(_ route: Route) async throws -> CacheEntry? {
        try await lookup(scoped(route).key)
    }

    /// The entries stored for `route` in every view (the public one and each granted set's,
    /// those of upstreams restricted once and no longer too), for acting on a package wherever
    /// it is cached (a revoked version purged).
    public func storedCopies(of route: Route) async throws -> [CacheEntry] {
        var copies: [CacheEntry] = []
        if let plain = try await lookup(route.key) { copies.append(plain) }
        let prefix = route.key + Route.viewSeparator
        for entry in try await index.entries(withKeyPrefix: prefix, limit: 10_000) where !entry.key.dropFirst(prefix.count).contains("\u{1}") {
            copies.append(entry)
        }
        return copies
    }

    /// The stored entries of `ecosystem` whose keys start with `prefix` (at most `limit`) in the
    /// current requester's view, with their keys as routes name them (without the view's tag),
    /// for adapters that find related documents by key (the suites of an archive).
    public func storedEntries(withKeyPrefix prefix: String, ecosystem: String, limit: Int) async throws -> [CacheEntry] {
        let found = try await index.entries(withKeyPrefix: prefix, limit: limit)
        let restricted = configuration.restrictedUpstreams[ecosystem] ?? []
        let tag = restricted.isEmpty ? "" : view(of: ecosystem, restricted: restricted, grant: UpstreamGrant.current).tag
        guard !tag.isEmpty else { return found.filter { !$0.key.contains(Route.viewSeparator) } }
        let suffix = Route.viewSeparator + tag
        return found.compactMap { entry in
            guard entry.key.hasSuffix(suffix) else { return nil }
            var entry = entry
            entry.key = String(entry.key.dropLast(suffix.count))
            return entry
        }
    }
}
