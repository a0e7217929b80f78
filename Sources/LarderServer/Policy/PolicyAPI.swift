import Foundation
import LarderCore
import LarderMirror
import LarderPolicy
import NIOCore

/// `/api/declarations`, `/api/blocks`, `/api/revocations`, `/api/exemptions` and `/api/audit`: the package rules
/// over HTTP. Each collection lists its rules (`GET`, `?q=` searches the Package URL, note and
/// author) and makes one (`POST {"purl": "…", "note": "…"}`, revocations also `"purge": true`);
/// `GET|PATCH|DELETE /api/<collection>/{id}` shows a rule, amends its note (`{"note": "…"}`)
/// or removes it (`?note=why`). `GET /api/audit?limit=N` is the audit log, newest first.
struct PolicyAPI: Sendable {
    let admin: PolicyAdmin

    /// The collections and the action of their rules.
    static let collections: [String: PackageRule.Action] = ["declarations": .declare, "blocks": .block, "revocations": .revoke, "exemptions": .exempt]

    /// Answers a request below `/api/`; `segments` starts with the collection; `actor` is the
    /// requesting token's name.
    func respond(method: ClientRequest.Method, segments: [String], query: String?, body: ByteBuffer?, actor: String) async throws(LarderError) -> EngineResponse {
        do {
            let parameters = Self.parameters(query)
            if segments == ["audit"] {
                guard method == .get || method == .head else { throw LarderError(.methodNotAllowed, "the audit log is read-only") }
                let limit = try parameters["limit"].map { text throws(LarderError) -> Int in
                    guard let n = Int(text), (1...10_000).contains(n) else { throw LarderError.badRequest("limit must be a whole number from 1 to 10000") }
                    return n
                } ?? 100
                return try Self.json(["entries": try await admin.audit(limit: limit)])
            }
            guard let collection = segments.first, let action = Self.collections[collection] else { throw LarderError.notFound("no policy API route here; see /openapi.json") }
            switch (method, segments.count) {
            case (.get, 1), (.head, 1):
                return try Self.json(["rules": try await admin.list(action: action, search: parameters["q"])])
            case (.post, 1):
                let fields = try Self.object(body, allowed: action == .revoke ? ["purl", "note", "purge"] : ["purl", "note"])
                guard let purl = fields["purl"] as? String else { throw LarderError.badRequest("purl must be a package URL string, such as \"pkg:npm/left-pad@1.3.0\"") }
                guard let note = fields["note"] as? String else { throw LarderError.badRequest("note must be a string saying why") }
                let purge = fields["purge"].map { $0 as? Bool }
                guard purge != .some(nil) else { throw LarderError.badRequest("purge must be true or false") }
                let rule = try await admin.add(action, packageURL: purl, note: note, actor: actor)
                var answer: [String: AnyEncodable] = ["rule": AnyEncodable(rule)]
                if action == .revoke {
                    if purge == true {
                        answer["purged"] = AnyEncodable(try await admin.purge(rule, actor: actor).map(StoredFile.init))
                    } else {
                        answer["quarantined"] = AnyEncodable(try await admin.storedFiles(of: rule).map(StoredFile.init))
                    }
                }
                var response = try Self.json(answer, status: 201)
                response.headers.append(("Location", "/api/\(collection)/\(rule.id)"))
                return response
            case (_, 2):
                guard let id = Int64(segments[1]), id > 0 else { throw LarderError.badRequest("'\(segments[1].prefix(40))' is not a rule number") }
                switch method {
                case .get, .head:
                    guard let rule = try await admin.rule(id: id, action: action) else { throw LarderError.notFound("there is no \(action.rawValue) rule \(id)") }
                    return try Self.json(rule)
                case .patch:
                    let fields = try Self.object(body, allowed: ["note"])
                    guard let note = fields["note"] as? String else { throw LarderError.badRequest("send {\"note\": \"…\"} with the new note") }
                    return try Self.json(try await admin.amend(id: id, note: note, actor: actor, action: action))
                case .delete:
                    guard let note = parameters["note"] else { throw LarderError.badRequest("say why in the query: DELETE /api/\(collection)/\(id)?note=…") }
                    return try Self.json(try await admin.remove(id: id, note: note, actor: actor, action: action))
                default:
                    throw LarderError(.methodNotAllowed, "\(method.rawValue) is not allowed on a rule; GET, PATCH or DELETE")
                }
            case (_, 1):
                throw LarderError(.methodNotAllowed, "\(method.rawValue) is not allowed on /api/\(collection); GET or POST")
            default:
                throw LarderError.notFound("no policy API route here; see /openapi.json")
            }
        } catch let error as LarderError {
            throw error
        } catch let error as PolicyInputError {
            throw LarderError(error.message.hasPrefix("there is no") ? .notFound : (error.message.contains("already") ? .conflict : .badRequest), error.message)
        } catch {
            throw LarderError(.internalError, "package rules: \(error)")
        }
    }

    /// A stored file of a revoked version, in answers.
    struct StoredFile: Encodable {
        var key: String
        var sha256: String
        var size: Int64

        init(_ entry: CacheEntry) {
            (key, sha256, size) = (Route.displayKey(entry.key), entry.digest, entry.size)
        }
    }

    private static func parameters(_ query: String?) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard let name = parts.first?.removingPercentEncoding else { continue }
            let value = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding : ""
            if let value, out[name] == nil { out[name] = value }
        }
        return out
    }

    private static func object(_ body: ByteBuffer?, allowed: Set<String>) throws(LarderError) -> [String: Any] {
        guard let body, body.readableBytes > 0 else { throw LarderError.badRequest("send a JSON object with \(allowed.sorted().joined(separator: ", "))") }
        let data = Data(body.readableBytesView)
        guard !NestingLimit.exceeded(inJSON: data) else { throw LarderError.badRequest(NestingLimit.message("request body")) }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LarderError.badRequest("the request body must be a JSON object")
        }
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw LarderError.badRequest("unknown field '\(unknown.prefix(100))'; expected \(allowed.sorted().joined(separator: ", "))")
        }
        return object
    }

    static func json(_ value: some Encodable, status: Int = 200) throws -> EngineResponse {
        let encoder = JSONEncoder.api
        encoder.outputFormatting.insert(.withoutEscapingSlashes)
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        return EngineResponse(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: .buffer(ByteBuffer(bytes: data)))
    }
}

/// Any encodable value, for answers that mix types.
struct AnyEncodable: Encodable {
    private let encodeValue: (any Encoder) throws -> Void

    init(_ value: some Encodable) { encodeValue = value.encode }

    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
