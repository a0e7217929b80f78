import Synchronization

extension Engine {
    /// Asks `sources` in order, each with the request `prepare` makes of it, and returns the first
    /// answer that is neither a 404/410 nor a failure to reach the upstream, with its source.
    /// Other answers (200, 304, 401, 5xx) are the caller's to judge. When no source answers,
    /// throws `notFound` if every one said so, else the failure to reach one, naming all.
    ///
    /// A source that cannot be reached where `holds` says it holds the answer (by default: its
    /// upstream is private) ends the search with that failure: an outage of a private registry
    /// must not turn into a public package of the same name (dependency confusion).
    func firstAnswer(
        _ sources: [Source], prepare: (Source) -> UpstreamRequest = { $0.request }, holds: (Source) -> Bool = { $0.request.isPrivate }, deadline: Duration? = nil
    ) async throws(LarderError) -> (source: Source, response: UpstreamResponse) {
        guard !sources.isEmpty else { throw LarderError(.notConfigured, "no upstream is configured for this request") }
        var failures: [LarderError] = []
        for (index, source) in sources.enumerated() {
            let request = prepare(source)
            do {
                let response = try await upstream.send(request, deadline: deadline)
                if response.status == 404 || response.status == 410 {
                    await response.body.discard()
                    failures.append(Self.statusError(response.status, url: request.displayURL))
                    continue
                }
                return (source, response)
            } catch where error.isUnreachable {
                if holds(source), index < sources.count - 1 {
                    throw LarderError(
                        error.kind,
                        "\(error.message); the upstreams after it are not asked in its place, so that a package of the same name elsewhere cannot stand in for one of \(source.request.isPrivate ? "a private upstream" : "the upstream the stored copy came from")")
                }
                failures.append(error)
            }
        }
        if failures.count == 1 { throw failures[0] }
        let summary = failures.map(\.message).joined(separator: "; ")
        if let unreachable = failures.first(where: \.isUnreachable) {
            throw LarderError(unreachable.kind, "no upstream could answer: \(summary)")
        }
        throw LarderError(.notFound, "not found in any upstream: \(summary)")
    }

    /// The error for an upstream answer that is not the document or file asked for.
    static func statusError(_ status: Int, url: String) -> LarderError {
        switch status {
        case 404, 410: LarderError(.notFound, "upstream \(url) answered \(status): not found")
        case 401, 403: LarderError(.upstreamFailed, "upstream \(url) answered \(status): check the upstream's credentials in Larder's configuration")
        case 508: LarderError(.loopDetected, "upstream \(url) answered 508 Loop Detected: the URL leads back to this Larder; fix the upstreams setting or artifact_hosts")
        default: LarderError(.upstreamFailed, "upstream \(url) answered \(status)")
        }
    }

    /// The upstream headers `route` keeps, from `response`, by lower-case name.
    static func keptHeaders(_ route: Route, from response: UpstreamResponse) -> [String: String] {
        var kept: [String: String] = [:]
        for name in route.storedHeaders {
            if let value = response.header(name) { kept[name.lowercased()] = value }
        }
        return kept
    }

    /// Runs `operation`, giving up after `limit` with `fallback` (the operation is cancelled).
    static func within<T: Sendable>(_ limit: Duration, fallback: T, _ operation: @escaping @Sendable () async -> T) async -> T {
        let race = Race<T>()
        return await withCheckedContinuation { continuation in
            race.start(continuation, work: Task {
                let value = await operation()
                race.finish(value)
            }, timer: Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { race.finish(fallback) }
            })
        }
    }
}

/// The first of a piece of work and a timer to finish resumes the waiter and cancels the other.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var waiter: CheckedContinuation<T, Never>?
        var result: T?
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())

    func start(_ waiter: CheckedContinuation<T, Never>, work: Task<Void, Never>, timer: Task<Void, Never>) {
        let early = state.withLock { s -> T? in
            s.tasks = [work, timer]
            if let result = s.result { return result }
            s.waiter = waiter
            return nil
        }
        if let early {
            work.cancel()
            timer.cancel()
            waiter.resume(returning: early)
        }
    }

    func finish(_ value: T) {
        let (waiter, tasks) = state.withLock { s -> (CheckedContinuation<T, Never>?, [Task<Void, Never>]) in
            guard s.result == nil else { return (nil, []) }
            s.result = value
            defer { s.waiter = nil }
            return (s.waiter, s.tasks)
        }
        for task in tasks { task.cancel() }
        waiter?.resume(returning: value)
    }
}
