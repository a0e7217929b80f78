import Foundation
public import LarderCore
import NIOCore

extension MavenAdapter: PackageCatalog {
    /// `maven-metadata.xml`, which `mvn` reads to resolve version ranges in POMs: cached so those
    /// resolve offline too (a repository without one still serves pinned versions).
    public func metadataRoutes(for package: CatalogPackage, engine: Engine) throws -> [Route] {
        let (group, artifact) = try Self.coordinates(package)
        return [try metadataRoute(for: MavenCoordinates.metadata(group: group, artifact: artifact))]
    }

    /// Every version `maven-metadata.xml` lists, oldest first, each with its files.
    public func releases(of package: CatalogPackage, engine: Engine) async throws -> [CatalogRelease] {
        let (group, artifact) = try Self.coordinates(package)
        let versions = try await engine.withMetadata(try metadataRoute(for: MavenCoordinates.metadata(group: group, artifact: artifact))) { document in
            MavenXML.versions(inMetadata: String(decoding: document.body.readableBytesView, as: UTF8.self))
        }
        return try versions.sorted { MavenVersion($0) < MavenVersion($1) }.map { version in
            try release(MavenCoordinates(group: group, artifact: artifact, version: version), qualifiers: package.qualifiers, engine: engine)
        }
    }

    /// A release by exact version, named directly from its coordinates (the POM is fetched to
    /// confirm upstream has it).
    public func release(of package: CatalogPackage, version: String, engine: Engine) async throws -> CatalogRelease? {
        let (group, artifact) = try Self.coordinates(package)
        let coordinates = MavenCoordinates(group: group, artifact: artifact, version: version)
        guard !version.hasPrefix("["), !version.hasPrefix("(") else { return nil }
        try Self.refuseSnapshot(version)
        do {
            _ = try await engine.ensureArtifact(try route(for: coordinates.file(extension: "pom"), engine: engine))
        } catch let error as LarderError where error.kind == .notFound {
            return nil
        }
        return try release(coordinates, qualifiers: package.qualifiers, engine: engine)
    }

    public func versionRange(_ text: String) throws -> VersionRange { try MavenVersionRange.parse(text) }

    /// The parent POMs of the release's POM, up to ten levels: `mvn` reads them to build the
    /// project model, so an offline build needs them too.
    public func companions(of release: CatalogRelease, package: CatalogPackage, engine: Engine) async throws -> [CatalogArtifact] {
        let (group, artifact) = try Self.coordinates(package)
        var current = MavenCoordinates(group: group, artifact: artifact, version: release.version)
        var found: [CatalogArtifact] = []
        var seen: Set<MavenCoordinates> = [current]
        for _ in 0..<10 {
            let pom = try await engine.contents(of: try route(for: current.file(extension: "pom"), engine: engine), maxSize: MavenXML.maxSize)
            guard let parent = MavenXML.parent(inPOM: String(decoding: pom.readableBytesView, as: UTF8.self)) else { break }
            let next = MavenCoordinates(group: parent.group, artifact: parent.artifact, version: parent.version)
            guard seen.insert(next).inserted else { break }
            found += try withChecksums(next.file(extension: "pom"), engine: engine)
            current = next
        }
        return found
    }

    private static func refuseSnapshot(_ version: String) throws {
        guard !version.hasSuffix("-SNAPSHOT") else {
            throw LarderError.badRequest("\(version) is a snapshot, which changes upstream; mirror released versions")
        }
    }

    private func release(_ coordinates: MavenCoordinates, qualifiers: [String: String], engine: Engine) throws -> CatalogRelease {
        try Self.refuseSnapshot(coordinates.version)
        var files = [coordinates.file(extension: "pom")]
        if let main = MavenCoordinates.mainFile(type: qualifiers["type"], classifier: qualifiers["classifier"]) {
            files.append(coordinates.file(classifier: main.classifier, extension: main.extension))
        }
        return CatalogRelease(version: coordinates.version, artifacts: try files.flatMap { try withChecksums($0, engine: engine) })
    }

    /// A file and its `.sha1` and `.md5` (which `mvn` checks), the checksums optional.
    private func withChecksums(_ path: MavenPath, engine: Engine) throws -> [CatalogArtifact] {
        [CatalogArtifact(filename: path.fileName, size: nil, route: try route(for: path, engine: engine))]
            + (try ["sha1", "md5"].map { ext in
                let checksum = path.appending(ext)
                return CatalogArtifact(filename: checksum.fileName, size: nil, route: try route(for: checksum, engine: engine), optional: true)
            })
    }

    /// A package URL's group and artifact ids.
    static func coordinates(_ package: CatalogPackage) throws -> (group: String, artifact: String) {
        guard let group = package.namespace, !group.isEmpty else {
            throw LarderError.badRequest("a Maven package URL names its group id as namespace: pkg:maven/<groupId>/<artifactId>@<version>")
        }
        let safe: (String) -> Bool = { !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("/") && !$0.contains("..") && !$0.contains("\\") }
        guard group.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty }), safe(package.name), !group.contains("/") else {
            throw LarderError.badRequest("'\(group):\(package.name)' are not Maven group and artifact ids")
        }
        return (group, package.name)
    }
}
