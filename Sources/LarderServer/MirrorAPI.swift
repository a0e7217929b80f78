import Foundation
import LarderCore
import LarderMirror
import NIOCore

/// `/api/mirror`: mirror jobs over HTTP. `POST /api/mirror` starts a job from package URLs, an
/// inline SBOM or an inline lockfile and answers at once; `GET /api/mirror[/{id}]` lists or
/// shows jobs; `DELETE /api/mirror/{id}` cancels; `POST /api/mirror/{id}/resume` continues an
/// interrupted job; `GET /api/mirror/{id}/events` streams progress as server-sent events.
struct MirrorAPI: Sendable {
    let jobs: MirrorJobs
    /// Which restricted upstreams each token may read: a job started by a token that may read
    /// some is shown only to tokens that may read them all (its package URLs may name private
    /// packages), to its own token and to admins.
    let grants: UpstreamGrants
    /// The tokens, to look up a job's token.
    let tokens: any TokenStore

    /// Answers a request whose path starts with `/api/mirror`; `rest` is the path below it, and
    /// `requester` the token presented (nil: anonymous).
    func respond(method: ClientRequest.Method, rest: [String], body: ByteBuffer?, requester: AccessToken?) async throws(LarderError) -> EngineResponse {
        do {
            switch (method, rest.count) {
            case (.post, 0): return try await create(body, actor: requester?.name)
            case (.get, 0): return try Self.json(["jobs": try await visible(try await jobs.jobs(), to: requester)])
            case (.get, 1): return try Self.json(try await found(rest[0], requester))
            case (.delete, 1):
                _ = try await found(rest[0], requester)
                return try Self.json(try await present(jobs.cancel(rest[0]), rest[0]))
            case (.post, 2) where rest[1] == "resume":
                _ = try await found(rest[0], requester)
                return try Self.json(try await present(jobs.resume(rest[0]), rest[0]), status: 202)
            case (.get, 2) where rest[1] == "events":
                _ = try await found(rest[0], requester)
                return try await events(rest[0])
            case (_, 0), (_, 1), (_, 2):
                throw LarderError(.methodNotAllowed, "\(method.rawValue) is not allowed here; see /openapi.json")
            default:
                throw LarderError.notFound("no mirror API route here; see /openapi.json")
            }
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError(.internalError, "mirror job store: \(error)")
        }
    }

    private func present(_ job: MirrorJob?, _ id: String) throws(LarderError) -> MirrorJob {
        guard let job else { throw LarderError.notFound("no mirror job \(id)") }
        return job
    }

    /// The job `id` if `requester` may see it; else `404`, as for a job that does not exist.
    private func found(_ id: String, _ requester: AccessToken?) async throws -> MirrorJob {
        let job = try present(try await jobs.job(id), id)
        guard try await !visible([job], to: requester).isEmpty else { throw LarderError.notFound("no mirror job \(id)") }
        return job
    }

    /// The jobs of `all` that `requester` may see: those of tokens granted no restricted
    /// upstream the requester may not read, its own, or every one for an admin.
    func visible(_ all: [MirrorJob], to requester: AccessToken?) async throws -> [MirrorJob] {
        if grants.isEmpty || requester?.role == .admin { return all }
        let mine = grants.grant(for: requester).upstreams
        let byName = Dictionary(try await tokens.tokens().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return all.filter { job in
            guard let name = job.submittedBy else { return true }
            if let requester, name == requester.name { return true }
            // An unknown token's job is shown to no one but admins: what it could read is unknown.
            guard let submitter = byName[name] else { return false }
            return grants.grant(for: submitter).upstreams.isSubset(of: mine)
        }
    }

    /// The request body of `POST /api/mirror`.
    static let fields: Set<String> = ["purls", "sbom", "lockfile", "concurrency"]

    private func create(_ body: ByteBuffer?, actor: String?) async throws -> EngineResponse {
        guard let body, body.readableBytes > 0 else { throw LarderError.badRequest("send a JSON object with purls, sbom or lockfile") }
        guard !NestingLimit.exceeded(inJSON: Data(body.readableBytesView)) else { throw LarderError.badRequest(NestingLimit.message("request body")) }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                throw LarderError.badRequest("the request body must be a JSON object")
            }
            object = parsed
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError.badRequest("the request body is not valid JSON: \(error.localizedDescription)")
        }
        if let unknown = object.keys.first(where: { !Self.fields.contains($0) }) {
            throw LarderError.badRequest("unknown field '\(unknown)'; expected \(Self.fields.sorted().joined(separator: ", "))")
        }
        var inputs = MirrorInputs()
        if let purls = object["purls"] {
            guard let list = purls as? [String] else { throw LarderError.badRequest("purls must be an array of package URL strings") }
            for purl in list { inputs.add(purl: purl) }
            let invalid = inputs.problems.filter { $0.kind == .failed }
            if !invalid.isEmpty {
                throw LarderError.badRequest("invalid package URLs: " + invalid.prefix(10).map(\.description).joined(separator: "; "))
            }
        }
        if let sbom = object["sbom"] {
            let data: Data
            if let text = sbom as? String { data = Data(text.utf8) } else if JSONSerialization.isValidJSONObject(sbom) {
                data = try JSONSerialization.data(withJSONObject: sbom)
            } else {
                throw LarderError.badRequest("sbom must be an SBOM document: a JSON object, or a string holding XML, JSON or tag-value")
            }
            do {
                try inputs.add(sbom: data, source: "sbom")
            } catch {
                throw LarderError.badRequest("sbom is not a readable SBOM: \(error.message)")
            }
        }
        if let lockfile = object["lockfile"] {
            guard let entry = lockfile as? [String: Any], let content = entry["content"] as? String else {
                throw LarderError.badRequest("lockfile must be an object with content (the file's text) and, optionally, filename")
            }
            let filename = entry["filename"] as? String
            do {
                try inputs.add(lockfile: Data(content.utf8), filename: filename, source: filename ?? "lockfile")
            } catch {
                throw LarderError.badRequest("lockfile is not a readable lockfile: \(error.message)")
            }
        }
        guard object["purls"] != nil || object["sbom"] != nil || object["lockfile"] != nil else {
            throw LarderError.badRequest("name something to mirror: purls, sbom or lockfile")
        }
        let concurrency = object["concurrency"].map { $0 as? Int } ?? MirrorRunner.defaultConcurrency
        guard let concurrency, (1...64).contains(concurrency) else { throw LarderError.badRequest("concurrency must be a whole number from 1 to 64") }
        let job = try await jobs.submit(inputs, concurrency: concurrency, submittedBy: actor)
        var response = try Self.json(job, status: 202)
        response.headers.append(("Location", "/api/mirror/\(job.id)"))
        return response
    }

    private func events(_ id: String) async throws -> EngineResponse {
        guard let stream = try await jobs.events(id) else { throw LarderError.notFound("no mirror job \(id)") }
        let iterator = StreamBox(stream.makeAsyncIterator())
        let body = ByteChunks(length: nil) {
            return {
                guard let job = await iterator.next() else { return nil }
                let json = String(decoding: try JSONEncoder.api.encode(job), as: UTF8.self)
                return ByteBuffer(string: "event: \(job.state.isFinal ? "end" : "progress")\ndata: \(json)\n\n")
            }
        }
        return EngineResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-store")], body: .stream(body))
    }

    static func json(_ value: some Encodable, status: Int = 200) throws -> EngineResponse {
        let data = try JSONEncoder.api.encode(value)
        return EngineResponse(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: .buffer(ByteBuffer(bytes: data)))
    }
}

/// Lets a stream's iterator be driven from a `ByteChunks` producer.
private final class StreamBox: @unchecked Sendable {
    private var base: AsyncStream<MirrorJob>.AsyncIterator
    init(_ base: AsyncStream<MirrorJob>.AsyncIterator) { self.base = base }
    func next() async -> MirrorJob? { await base.next() }
}

extension JSONEncoder {
    /// The API's JSON: sorted keys, so answers are stable.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
