import Foundation
import LarderCore
import NIOCore
import Synchronization

/// Maven checksum files: a hex digest, alone or followed by a file name (`sha1sum` style), or in
/// BSD style (`SHA1 (file) = hex`).
enum MavenChecksum {
    /// The digest a checksum file's text gives for `algorithm`, lower-case; nil when it has none.
    static func parse(_ text: String, algorithm: Integrity.Algorithm) -> String? {
        let length = algorithm.hexLength
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "=" }) {
            if token.count == length, token.allSatisfy(\.isHexDigit) { return token.lowercased() }
        }
        return nil
    }
}

/// Verifies an artifact against its upstream's checksum files: it fetches `<file>.sha256` and
/// `<file>.sha1` from the same upstream while the artifact downloads, and checks the strongest
/// one present. A repository that publishes neither gets the artifact stored unverified (and
/// logged); a checksum that does not match refuses it.
final class MavenChecksumVerifier: ArtifactVerifier {
    let algorithms: Set<Integrity.Algorithm> = [.sha1]
    private let client: UpstreamClient
    private let requests: [(Integrity.Algorithm, UpstreamRequest)]
    private let fetches = ChecksumFetches()

    /// A verifier for `path` on `upstream`.
    init(client: UpstreamClient, upstream: Upstream, path: MavenPath) {
        self.client = client
        self.requests = [(.sha256, upstream.request(path: path.appending("sha256").urlPath)), (.sha1, upstream.request(path: path.appending("sha1").urlPath))]
    }

    func begin() {
        for (algorithm, request) in requests {
            fetches.start(algorithm) { [client] in try await Self.fetch(request, algorithm: algorithm, client: client) }
        }
    }

    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        begin()  // no-op when already started
        var missing: [String] = []
        for (algorithm, request) in requests {
            guard let promised = try await fetches.value(algorithm) else {
                missing.append(request.displayURL)
                continue
            }
            guard artifact.digests[algorithm] == promised else {
                throw LarderError(.integrityMismatch, "upstream \(artifact.url) served bytes with \(algorithm.rawValue) \(artifact.digests[algorithm] ?? "?"), but its checksum file \(request.displayURL) says \(promised); not stored")
            }
            return .verified(request.displayURL)
        }
        return .unverified("upstream publishes no checksum file (\(missing.joined(separator: ", ")) answered 404)")
    }

    /// The digest in a checksum file; nil when upstream has none.
    static func fetch(_ request: UpstreamRequest, algorithm: Integrity.Algorithm, client: UpstreamClient) async throws(LarderError) -> String? {
        let response = try await client.send(request)
        switch response.status {
        case 200:
            let body = try await response.body.collect(upTo: 16 << 10)
            guard let digest = parse(body, algorithm: algorithm) else {
                throw LarderError(.upstreamFailed, "upstream checksum file \(request.displayURL) holds no \(algorithm.rawValue) digest; the artifact was not stored")
            }
            return digest
        case 404, 410:
            await response.body.discard()
            return nil
        default:
            await response.body.discard()
            throw LarderError(.upstreamFailed, "could not check the artifact against \(request.displayURL): upstream answered \(response.status); not stored")
        }
    }

    private static func parse(_ body: ByteBuffer, algorithm: Integrity.Algorithm) -> String? {
        MavenChecksum.parse(String(decoding: body.readableBytesView, as: UTF8.self), algorithm: algorithm)
    }
}

/// Accepts a checksum file only if it holds a digest of its algorithm, so an error page served
/// with 200 is never stored as one.
struct ChecksumFileVerifier: ArtifactVerifier {
    let algorithm: Integrity.Algorithm
    var algorithms: Set<Integrity.Algorithm> { [] }

    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        guard artifact.size <= 16 << 10, let text = try? String(contentsOfFile: artifact.path, encoding: .utf8),
            MavenChecksum.parse(text, algorithm: algorithm) != nil
        else {
            throw LarderError(.upstreamFailed, "upstream \(artifact.url) is not a \(algorithm.rawValue) checksum file; not stored")
        }
        return .verified("its \(algorithm.rawValue) format")
    }
}

/// The checksum files being fetched, by algorithm: each started once, awaited by the verifier.
final class ChecksumFetches: Sendable {
    private let tasks = Mutex<[Integrity.Algorithm: Task<String?, any Error>]>([:])

    func start(_ algorithm: Integrity.Algorithm, _ work: @escaping @Sendable () async throws -> String?) {
        tasks.withLock { table in
            if table[algorithm] == nil { table[algorithm] = Task { try await work() } }
        }
    }

    func value(_ algorithm: Integrity.Algorithm) async throws(LarderError) -> String? {
        guard let task = tasks.withLock({ $0[algorithm] }) else { return nil }
        do {
            return try await task.value
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError(.upstreamFailed, "\(error)")
        }
    }
}
