import CompressNIO
import LarderCore
import NIOCore
import NIOPosix
import Foundation

/// RubyGems publishes no digest for `quick/Marshal.4.8/<gem>.gemspec.rz` files: a download is
/// kept only when it is what such a file is (a zlib stream of a Marshal 4.8 dump), so an error
/// page never becomes a gemspec.
struct GemspecVerifier: ArtifactVerifier {
    var algorithms: Set<Integrity.Algorithm> { [] }

    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        guard artifact.size <= 16 << 20 else {
            throw LarderError(.integrityMismatch, "upstream \(artifact.url) served \(artifact.size) bytes for a gemspec; not stored")
        }
        let path = artifact.path
        let isGemspec = (try? await NIOThreadPool.singleton.runIfActive { () -> Bool in
            guard let data = FileManager.default.contents(atPath: path) else { return false }
            var buffer = ByteBuffer(bytes: data)
            let inflated = try buffer.decompress(with: .zlib(), maxSize: 64 << 20)
            return inflated.readableBytesView.starts(with: [0x04, 0x08])
        }) ?? false
        guard isGemspec else {
            throw LarderError(.integrityMismatch, "upstream \(artifact.url) served something that is not a gemspec (a zlib stream of a Marshal 4.8 dump); not stored")
        }
        return .unverified("RubyGems publishes no digest for gemspecs; checked to be one")
    }
}
