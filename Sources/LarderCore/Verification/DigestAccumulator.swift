import Crypto
import NIOCore

/// Hashes a stream of bytes as it passes: always SHA-256 (the blob store's address), and every
/// other algorithm a verifier asked for.
struct DigestAccumulator {
    private var sha256 = SHA256()
    private var others: [OtherHash] = []
    private(set) var count: Int64 = 0

    private enum OtherHash {
        case sha384(SHA384), sha512(SHA512), sha1(Insecure.SHA1), md5(Insecure.MD5)

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            switch self {
            case .sha384(var h): h.update(bufferPointer: bytes); self = .sha384(h)
            case .sha512(var h): h.update(bufferPointer: bytes); self = .sha512(h)
            case .sha1(var h): h.update(bufferPointer: bytes); self = .sha1(h)
            case .md5(var h): h.update(bufferPointer: bytes); self = .md5(h)
            }
        }

        func finalize() -> (Integrity.Algorithm, String) {
            switch self {
            case .sha384(let h): (.sha384, h.finalize().hexDigest)
            case .sha512(let h): (.sha512, h.finalize().hexDigest)
            case .sha1(let h): (.sha1, h.finalize().hexDigest)
            case .md5(let h): (.md5, h.finalize().hexDigest)
            }
        }
    }

    init(algorithms: Set<Integrity.Algorithm>) {
        for algorithm in algorithms.sorted(by: { $0.rawValue < $1.rawValue }) {
            switch algorithm {
            case .sha256: break
            case .sha384: others.append(.sha384(SHA384()))
            case .sha512: others.append(.sha512(SHA512()))
            case .sha1: others.append(.sha1(Insecure.SHA1()))
            case .md5: others.append(.md5(Insecure.MD5()))
            }
        }
    }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            sha256.update(bufferPointer: bytes)
            for index in others.indices { others[index].update(bytes) }
        }
        count += Int64(buffer.readableBytes)
    }

    /// Finishes hashing: every computed digest as lower-case hex, SHA-256 included.
    func finalize() -> [Integrity.Algorithm: String] {
        var digests: [Integrity.Algorithm: String] = [.sha256: sha256.finalize().hexDigest]
        for other in others {
            let (algorithm, hex) = other.finalize()
            digests[algorithm] = hex
        }
        return digests
    }
}
