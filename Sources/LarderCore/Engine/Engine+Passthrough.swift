extension Engine {
    private static let forwardedResponseHeaders: Set<String> = ["content-type", "content-encoding", "content-length", "cache-control", "etag", "last-modified"]

    /// Forwards the request of the route's first source and streams the answer back uncached.
    func passThrough(_ route: Route) async throws -> EngineResponse {
        guard let source = try await route.sources().first else { throw LarderError(.notConfigured, "no upstream is configured for this request") }
        let response = try await upstream.send(source.request, deadline: upstream.timeouts.passthrough)
        let headers = response.headers.filter { Engine.forwardedResponseHeaders.contains($0.0.lowercased()) }
        let body = response.body.chunks(length: response.header("content-length").flatMap { Int64($0) })
        return EngineResponse(status: response.status, headers: headers + [("X-Larder-Cache", "PASS")] + route.headers, body: .stream(body))
    }
}
