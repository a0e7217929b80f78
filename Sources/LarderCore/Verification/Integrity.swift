import Crypto
public import Foundation

/// A digest an artifact is promised to have, as its registry's metadata states it.
public struct Integrity: Sendable, Hashable, CustomStringConvertible {
    /// Hash algorithms registries use to describe artifacts.
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case sha256, sha384, sha512, sha1, md5
    }

    /// The algorithm of the promised digest.
    public let algorithm: Algorithm
    /// The promised digest, as lower-case hex.
    public let hex: String

    /// Creates a promise from a hex digest; returns nil when `hex` has the wrong length or characters.
    public init?(algorithm: Algorithm, hex: String) {
        let lower = hex.lowercased()
        guard lower.count == algorithm.hexLength, lower.allSatisfy({ $0.isHexDigit }) else { return nil }
        self.algorithm = algorithm
        self.hex = lower
    }

    /// Parses a Subresource Integrity string (`sha512-<base64>`), as npm's `dist.integrity` holds.
    /// When several are listed, the strongest supported one wins.
    public init?(sri: String) {
        let candidates = sri.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { token -> Integrity? in
            guard let dash = token.firstIndex(of: "-"),
                let algorithm = Algorithm(rawValue: token[..<dash].lowercased()),
                let data = Data(base64Encoded: String(token[token.index(after: dash)...]))
            else { return nil }
            return Integrity(algorithm: algorithm, hex: data.hexString)
        }
        guard let best = candidates.max(by: { $0.algorithm.strength < $1.algorithm.strength }) else { return nil }
        self = best
    }

    /// Picks the strongest digest from a registry's map of algorithm name to hex digest
    /// (PEP 691 `hashes`, a PEP 503 URL fragment).
    public static func strongest(of hashes: [String: String]) -> Integrity? {
        hashes.compactMap { name, value -> Integrity? in
            guard let algorithm = Algorithm(rawValue: name.lowercased()) else { return nil }
            return Integrity(algorithm: algorithm, hex: value)
        }.max(by: { $0.algorithm.strength < $1.algorithm.strength })
    }

    /// The form `description` writes (`sha256:<hex>`), parsed back; nil when it is not one.
    public init?(description: String) {
        let parts = description.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let algorithm = Algorithm(rawValue: String(parts[0])) else { return nil }
        self.init(algorithm: algorithm, hex: String(parts[1]))
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }
}

extension Integrity.Algorithm {
    /// The length of a digest in hex.
    public var hexLength: Int {
        switch self {
        case .sha256: 64
        case .sha384: 96
        case .sha512: 128
        case .sha1: 40
        case .md5: 32
        }
    }

    var strength: Int {
        switch self {
        case .md5: 0
        case .sha1: 1
        case .sha256: 2
        case .sha384: 3
        case .sha512: 4
        }
    }
}

extension Data {
    /// The bytes as lower-case hex.
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

extension Sequence where Element == UInt8 {
    /// The bytes as lower-case hex.
    public var hexDigest: String {
        var out = ""
        out.reserveCapacity(64)
        let digits = Array("0123456789abcdef")
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }
}
