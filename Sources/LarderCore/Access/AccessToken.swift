public import Foundation
import Crypto

/// A named token: its role, and when it was made or revoked. The secret itself is shown once,
/// when the token is created; only its SHA-256 is stored.
public struct AccessToken: Sendable, Equatable, Codable {
    /// The token's unique name (`ci`, `alice`), which logs and audit records show.
    public var name: String
    /// What it may do.
    public var role: AccessRole
    /// When it was created.
    public var createdAt: Date
    /// When it was revoked; a revoked token is refused.
    public var revokedAt: Date?

    /// Creates a token record.
    public init(name: String, role: AccessRole, createdAt: Date, revokedAt: Date? = nil) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// The prefix of every secret, so that secrets are recognisable in configuration files and
    /// secret scanners.
    public static let secretPrefix = "larder_"

    /// A new secret: the prefix and 40 random letters and digits (about 238 bits).
    public static func makeSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return secretPrefix + String((0..<40).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// What is stored for `secret`: its SHA-256, hex.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexDigest
    }

    /// Whether `name` can name a token: 1 to 64 letters, digits, `-`, `_` and `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}

/// Where tokens are kept: the embedded store's database, or a shared one.
public protocol TokenStore: Sendable {
    /// Stores a new token with the hash of its secret; throws when the name is taken.
    func create(_ token: AccessToken, secretHash: String) async throws
    /// Every token, revoked ones included, by name.
    func tokens() async throws -> [AccessToken]
    /// Marks the token revoked; false when there is no such token.
    func revoke(name: String, at date: Date) async throws -> Bool
    /// The token whose secret hashes to `secretHash`, if any.
    func token(secretHash: String) async throws -> AccessToken?
}
