import Foundation

extension Engine {
    /// The most versions of one list dated from their own documents per reading: a package
    /// with more is dated over several readings (the rest stay hidden meanwhile).
    static let maxVersionsDatedPerReading = 1_000
    /// How many versions' documents are read at once while a list is dated.
    static let versionDatingConcurrency = 8

    /// The dates a stored document of `route` gives its package's versions: parsed from the
    /// document (`versionDates`), or, for a list without dates (`listedVersions`), read from the
    /// documents of the listed versions the history does not hold yet (`versionDater`).
    /// `complete` is false when some listed versions could not be dated this time. Nil when the
    /// route dates nothing or the document's blob vanished.
    func ownDates(_ route: Route, document: CacheEntry, provenance: MetadataDocument.Provenance) async throws -> (dates: [VersionDate], complete: Bool)? {
        if let datesOf = route.versionDates {
            return try await readStored(route, entry: document, provenance: provenance, datesOf).map { ($0, true) }
        }
        guard let listOf = route.listedVersions, let dater = route.versionDater, let name = route.package?.name, let policy,
            let listed = try await readStored(route, entry: document, provenance: provenance, listOf)
        else { return nil }
        let known = try await policy.knownVersions(ecosystem: route.ecosystem, name: name)
        var unknown: [String] = []
        var seen = Set<String>()
        for version in listed where !known.contains(version) && seen.insert(version).inserted { unknown.append(version) }
        let dates = await dateEach(unknown.prefix(Self.maxVersionsDatedPerReading), dater: dater)
        return (dates, dates.count >= unknown.count)
    }

    /// The dates `route`'s document gives (fresh, revalidated, fetched or stale, as for a
    /// client): what a route's `datedBy` documents are read for.
    func datesRead(from route: Route) async throws -> (dates: [VersionDate], complete: Bool)? {
        let route = scoped(route)
        for _ in 0..<2 {
            let (entry, provenance) = try await metadataEntry(route)
            if let dates = try await ownDates(route, document: entry, provenance: provenance) { return dates }
        }
        return nil
    }

    /// Each version's date from its own document, a few documents at a time. A version whose
    /// document cannot be read is left out (it stays undated, so hidden, until a later reading
    /// dates it) and logged.
    private func dateEach(_ versions: ArraySlice<String>, dater: @escaping @Sendable (String) -> Route?) async -> [VersionDate] {
        await withTaskGroup(of: [VersionDate].self) { group in
            var dates: [VersionDate] = []
            var pending = versions.makeIterator()
            var running = 0
            while true {
                while running < Self.versionDatingConcurrency, let version = pending.next() {
                    running += 1
                    group.addTask { await self.date(version, dater: dater) }
                }
                guard running > 0, let batch = await group.next() else { return dates }
                running -= 1
                dates += batch
            }
        }
    }

    /// `version`'s date from its own document.
    private func date(_ version: String, dater: @Sendable (String) -> Route?) async -> [VersionDate] {
        guard var route = dater(version), let datesOf = route.versionDates else { return [] }
        // Read here, not recorded as the document is stored: the list's versions are recorded
        // together, so that a first reading is the package's baseline.
        route.versionDates = nil
        do {
            return try await withMetadata(route) { try datesOf($0) }.filter { $0.version == version }
        } catch {
            logger.info("could not date a version", metadata: ["key": "\(route.key)", "error": "\(error)"])
            return []
        }
    }

    /// Dates `package`'s version from `route`'s `datedBy` documents, in order, until the
    /// history knows it: a client fetching straight from a lockfile asks for a version before
    /// (or without) reading the metadata that lists it.
    func dateUnseenVersion(_ route: Route, package: PackageRef, policy: any PackagePolicy) async throws -> VersionDating {
        guard let version = package.version, !route.datedBy.isEmpty,
            try await !policy.knownVersions(ecosystem: route.ecosystem, name: package.name).contains(version)
        else { return .alreadyKnown }
        var failure: String?
        for source in route.datedBy {
            do {
                if let read = try await datesRead(from: source) {
                    try await policy.recordVersions(ecosystem: route.ecosystem, name: source.package?.name ?? package.name, read.dates)
                }
            } catch {
                failure = failure ?? ((error as? LarderError)?.message ?? "\(error)")
            }
            if try await policy.knownVersions(ecosystem: route.ecosystem, name: package.name).contains(version) { return .dated }
        }
        return failure.map(VersionDating.failed) ?? .dated
    }
}

/// What dating a version a cooldown had not seen came to.
enum VersionDating {
    /// The history knew it already (or there was nothing to read): the verdict stands.
    case alreadyKnown
    /// Its package's documents were read (and it may be known now): ask again.
    case dated
    /// Reading them failed, saying this; it is still unknown.
    case failed(String)
}

extension Route {
    /// Whether a cooldown can date the versions of this route's document: it dates them itself,
    /// lists them for dating one by one, or names a document that dates them.
    var datesVersions: Bool {
        versionDates != nil || (listedVersions != nil && versionDater != nil) || datedBy.first?.datesVersions == true
    }
}
