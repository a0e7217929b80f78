import Foundation
import NIOHTTP1
import LarderCore
import Synchronization

/// Who may do what on one listener: the token a request presents (checked against the token
/// store, remembered for `cacheLifetime` so a hit costs no database read), or, without one,
/// the listener's anonymous access. A bad or revoked token is refused even where anonymous
/// reads are allowed, so a client with a wrong token learns it at once.
final class AccessControl: Sendable {
    /// How long a token lookup is remembered: a revocation takes effect within this time.
    static let cacheLifetime: Duration = .seconds(10)
    /// The most lookups remembered.
    static let cacheLimit = 10_000

    private let store: any TokenStore
    /// What requests without a token may do; nil for nothing.
    let anonymous: AccessRole?
    private let cache = Mutex<[String: (token: AccessToken?, until: ContinuousClock.Instant)]>([:])

    init(store: any TokenStore, anonymous: AccessRole?) {
        self.store = store
        self.anonymous = anonymous
    }

    /// The challenge a refused request gets.
    static let challenge = ("WWW-Authenticate", "Basic realm=\"Larder\", charset=\"UTF-8\"")

    /// Checks that a request with `authorization` may do what needs `role` (nil: anyone);
    /// returns the token it presented. Throws 401 (no or a bad token) or 403 (a token whose
    /// role is not enough).
    func authorize(authorization: String?, needs role: AccessRole?) async throws(LarderError) -> AccessToken? {
        guard let authorization else {
            guard let role else { return nil }
            if let anonymous, anonymous >= role { return nil }
            throw LarderError(.unauthorized, "this needs a token with the \(role.rawValue) role: present one as a bearer token or as the password of basic authentication (larder token create --name NAME --role \(role.rawValue))", headers: [Self.challenge])
        }
        guard let secret = PresentedSecret.from(authorization: authorization) else {
            throw LarderError(.unauthorized, "the Authorization header holds no token Larder reads (Bearer, Basic with the token as password, or the token itself)", headers: [Self.challenge])
        }
        guard let token = try await lookup(secret), token.revokedAt == nil else {
            throw LarderError(.unauthorized, "the token is not one Larder knows, or it has been revoked", headers: [Self.challenge])
        }
        if let role, token.role < role {
            throw LarderError(.forbidden, "token '\(token.name)' has the \(token.role.rawValue) role; this needs \(role.rawValue)")
        }
        return token
    }

    /// Who may read with `headers`, answered from memory alone for the fast path: `.some(nil)`
    /// for an anonymous request where anonymous reads are allowed, `.some(token)` for a token
    /// remembered from a recent lookup that may read, nil when only the router can tell (no
    /// anonymous reads, a token not remembered, a bad or revoked one, more than one header).
    func rememberedReader(_ headers: HTTPHeaders) -> AccessToken?? {
        let authorization = headers["authorization"]
        guard let value = authorization.first else {
            guard let anonymous, anonymous >= .read else { return nil }
            return .some(nil)
        }
        guard authorization.count == 1, let secret = PresentedSecret.from(authorization: value) else { return nil }
        let hash = AccessToken.hash(secret)
        guard let remembered = cache.withLock({ $0[hash] }), remembered.until > ContinuousClock.now, let token = remembered.token, token.revokedAt == nil, token.role >= .read else {
            return nil
        }
        return .some(token)
    }

    private func lookup(_ secret: String) async throws(LarderError) -> AccessToken? {
        let hash = AccessToken.hash(secret)
        let now = ContinuousClock.now
        if let remembered = cache.withLock({ $0[hash] }), remembered.until > now { return remembered.token }
        let token: AccessToken?
        do {
            token = try await store.token(secretHash: hash)
        } catch {
            throw LarderError(.storageFailed, "the token store cannot be read: \(error)")
        }
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[hash] = (token, now + Self.cacheLifetime)
        }
        return token
    }

    /// The default anonymous access of a listener on `host`: reads on loopback, nothing elsewhere.
    static func defaultAnonymous(host: String) -> AccessRole? {
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        return loopback ? .read : nil
    }
}
