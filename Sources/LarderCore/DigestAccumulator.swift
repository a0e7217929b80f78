import Crypto
import NIOCore

/// Hashes a stream of bytes as it passes: always SHA-256 (the blob store's address), and the
/// algorithm a registry promised when it is another one.
struct DigestAccumulator {
    private var sha256 = SHA256()
    private var other: OtherHash?
    private(set) var count: Int64 = 0

    private enum OtherHash {
        case sha384(SHA384), sha512(SHA512), sha1(Insecure.SHA1), md5(Insecure.MD5)
    }

    init(promised: Integrity.Algorithm?) {
        switch promised {
        case .sha384: other = .sha384(SHA384())
        case .sha512: other = .sha512(SHA512())
        case .sha1: other = .sha1(Insecure.SHA1())
        case .md5: other = .md5(Insecure.MD5())
        case .sha256, nil: other = nil
        }
    }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            sha256.update(bufferPointer: bytes)
            switch other {
            case .sha384(var h): h.update(bufferPointer: bytes); other = .sha384(h)
            case .sha512(var h): h.update(bufferPointer: bytes); other = .sha512(h)
            case .sha1(var h): h.update(bufferPointer: bytes); other = .sha1(h)
            case .md5(var h): h.update(bufferPointer: bytes); other = .md5(h)
            case nil: break
            }
        }
        count += Int64(buffer.readableBytes)
    }

    /// Finishes hashing: the SHA-256 hex digest, and the digest in the promised algorithm.
    func finalize(promised: Integrity.Algorithm?) -> (sha256: String, promised: String?) {
        let main = sha256.finalize().hexDigest
        let second: String?
        switch other {
        case .sha384(let h): second = h.finalize().hexDigest
        case .sha512(let h): second = h.finalize().hexDigest
        case .sha1(let h): second = h.finalize().hexDigest
        case .md5(let h): second = h.finalize().hexDigest
        case nil: second = promised == .sha256 ? main : nil
        }
        return (main, second)
    }
}
