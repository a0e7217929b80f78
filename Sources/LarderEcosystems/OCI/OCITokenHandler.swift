import Foundation
public import LarderCore
import NIOCore
import NIOFoundationCompat

/// The registry token handshake (the distribution specification's "token authentication"): a
/// registry that answers `401` with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` hands
/// out a token at `realm` for the repository's pull scope, which Larder fetches and caches until
/// it expires. The realm is checked first: http or https, and never plain http behind an https
/// registry. The registry's configured credentials go to the realm only when it is at the
/// registry's own origin or on one of `trustedHosts`; anywhere else the token is asked for
/// anonymously.
public struct OCITokenHandler: UpstreamChallengeHandler {
    /// The longest token answer read.
    static let maxAnswerBytes = 64 << 10
    /// How long a token is used when the answer gives no `expires_in` (the specification's default).
    static let defaultLifetime = 60

    /// Hosts besides the registry's own origin that may receive its credentials in the handshake.
    public let trustedHosts: [HostPattern]

    /// A handler trusting `trustedHosts` with the registry's credentials.
    public init(trustedHosts: [HostPattern] = []) {
        self.trustedHosts = trustedHosts
    }

    /// Tokens are per repository: the pull scope of the repository the request names.
    public func tokenKey(for request: UpstreamRequest) -> String? {
        Self.scope(of: request.url)
    }

    public func respond(to challenge: [AuthChallenge], for request: UpstreamRequest, client: UpstreamClient) async throws(LarderError) -> UpstreamToken? {
        guard let bearer = challenge.first(where: { $0.scheme == "bearer" }), let realm = bearer.parameters["realm"] else { return nil }
        guard var components = URLComponents(string: realm), let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http", components.host != nil else {
            throw LarderError(.upstreamFailed, "registry \(request.displayURL) sent a token realm that is not an http(s) URL: '\(realm.prefix(200))'")
        }
        if scheme == "http", URLOrigin(url: request.url)?.scheme == "https" {
            throw LarderError(.upstreamFailed, "registry \(request.displayURL) sent a plain-http token realm (\(realm.prefix(200))) for an https registry; Larder does not downgrade")
        }
        var query = components.queryItems ?? []
        if let service = bearer.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        if let scope = bearer.parameters["scope"] ?? Self.scope(of: request.url) { query.append(URLQueryItem(name: "scope", value: scope)) }
        components.queryItems = query
        guard let url = components.string else { return nil }
        let response = try await client.send(request.tokenServiceRequest(url: url, headers: [("Accept", "application/json")], trustedHosts: trustedHosts))
        guard response.status == 200 else {
            await response.body.discard()
            throw LarderError(.upstreamFailed, "the token service \(UpstreamRequest.redact(url).prefix(200)) of registry \(request.displayURL) answered \(response.status)")
        }
        let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let token = (json["token"] as? String) ?? (json["access_token"] as? String), !token.isEmpty,
            token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw LarderError(.upstreamFailed, "the token service of registry \(request.displayURL) answered without a token")
        }
        let seconds = (json["expires_in"] as? NSNumber)?.intValue ?? Self.defaultLifetime
        // Renewed a little early, and never trusted for more than a day.
        return UpstreamToken(authorization: "Bearer \(token)", lifetime: .seconds(min(max(seconds - 5, 1), 86_400)))
    }

    /// `repository:<name>:pull` for a URL below `/v2/<name>/(manifests|blobs|tags)/`.
    static func scope(of url: String) -> String? {
        guard let path = URLComponents(string: url)?.path, let range = path.range(of: "/v2/") else { return nil }
        let parts = path[range.upperBound...].split(separator: "/").map(String.init)
        guard let operation = parts.lastIndex(where: { ["manifests", "blobs", "tags"].contains($0) }), operation > 0 else { return nil }
        return "repository:\(parts[..<operation].joined(separator: "/")):pull"
    }
}
