import Foundation
import LarderCore
import NIOPosix

/// NuGet's V3 reads promise no digest for a `.nupkg` (its hash is only in the feed's catalog;
/// nuget.org's packages carry their own signature, which the client checks). A download is
/// kept only when it is what it claims: a zip holding `<id>.nuspec`.
struct NupkgVerifier: ArtifactVerifier {
    /// The package id, lower-case.
    let id: String

    var algorithms: Set<Integrity.Algorithm> { [] }

    func verify(_ artifact: StagedArtifact) async throws(LarderError) -> Verification {
        let path = artifact.path
        let expected = "\(id).nuspec"
        let names = (try? await NIOThreadPool.singleton.runIfActive { try ZipEntries(path: path).entries.map { $0.name.lowercased() } }) ?? []
        guard names.contains(expected) else {
            throw LarderError(.integrityMismatch, "upstream \(artifact.url) served something that is not the package \(id) (a zip holding \(expected)); not stored")
        }
        return .unverified("NuGet's V3 API promises no digest for packages; checked to hold \(expected)")
    }
}
