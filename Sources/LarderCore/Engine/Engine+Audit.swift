/// What `Engine.audit` found.
public struct AuditReport: Sendable {
    /// Entries checked.
    public var checked = 0
    /// Bytes hashed.
    public var bytes: Int64 = 0
    /// Keys whose blob was damaged (wrong size or digest) and quarantined.
    public var damaged: [String] = []
    /// Keys whose blob was missing (the entry was dropped).
    public var missing: [String] = []

    /// Whether everything checked was intact.
    public var isClean: Bool { damaged.isEmpty && missing.isEmpty }
}

/// One entry checked by `Engine.audit`.
public struct AuditEvent: Sendable {
    /// What was found.
    public enum Outcome: Sendable { case intact, damaged, missing }
    /// The entry.
    public var entry: CacheEntry
    /// What was found.
    public var outcome: Outcome
    /// Entries checked so far, and in the index when the audit started.
    public var done: Int
    public var total: Int
}

extension Engine {
    /// Re-hashes the blob of every entry in the index (each blob once): a damaged one is
    /// quarantined and its entries dropped, a missing one's entries dropped, so the next request
    /// fetches them anew. `larder verify` runs it.
    public func audit(progress: @Sendable (AuditEvent) -> Void = { _ in }) async throws -> AuditReport {
        let total = try await index.stats().values.reduce(0) { $0 + Int($1.objects) }
        var report = AuditReport()
        var known: [String: AuditEvent.Outcome] = [:]
        var after: String?
        while true {
            let page = try await index.entries(after: after, limit: 500)
            guard let last = page.last else { break }
            after = last.key
            for entry in page {
                try Task.checkCancellation()
                let outcome: AuditEvent.Outcome
                if let seen = known[entry.digest] {
                    outcome = seen
                    if seen != .intact { await dropMissing(entry) }
                } else if try await blobs.size(ofDigest: entry.digest) == nil {
                    outcome = .missing
                    await dropMissing(entry)
                } else {
                    outcome = try await isIntact(entry) ? .intact : .damaged
                    report.bytes += entry.size
                }
                known[entry.digest] = outcome
                report.checked += 1
                switch outcome {
                case .intact: break
                case .damaged: report.damaged.append(Route.displayKey(entry.key))
                case .missing: report.missing.append(Route.displayKey(entry.key))
                }
                progress(AuditEvent(entry: entry, outcome: outcome, done: report.checked, total: max(total, report.checked)))
            }
        }
        return report
    }
}
