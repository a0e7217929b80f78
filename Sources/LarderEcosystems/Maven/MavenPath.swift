import LarderCore

/// A path in a Maven repository (`org/example/lib/1.0/lib-1.0.jar`) and what Larder makes of it:
/// `maven-metadata.xml` and anything of a `-SNAPSHOT` version change upstream and are metadata;
/// release files are immutable artifacts; checksum files (`.sha1`, `.md5`, `.sha256`,
/// `.sha512`) belong to the file they describe.
struct MavenPath: Sendable, Equatable, CustomStringConvertible {
    /// The checksum algorithms Maven repositories publish, by file extension.
    static let checksumExtensions: [(String, Integrity.Algorithm)] = [("sha1", .sha1), ("md5", .md5), ("sha256", .sha256), ("sha512", .sha512)]

    /// The path's segments.
    let segments: [String]

    /// Checks a request path below `/maven/`: at least a directory and a file, no encoded slashes,
    /// nothing hidden (`.`-prefixed segments).
    init(_ path: RequestPath) throws(LarderError) {
        try path.requireNoEncodedSlash()
        guard path.segments.count >= 2, !path.hasTrailingSlash else {
            throw LarderError.notFound("no Maven file here: Larder serves repository files (/maven/<group path>/<artifact>/<version>/<file>), not directory listings")
        }
        if let hidden = path.segments.first(where: { $0.hasPrefix(".") }) {
            throw LarderError.badRequest("a Maven repository path has no segment starting with '.': '\(hidden.prefix(100))'")
        }
        segments = path.segments
    }

    init(segments: [String]) {
        self.segments = segments
    }

    var description: String { segments.joined(separator: "/") }
    var fileName: String { segments.last! }

    /// The package (`group/artifact`) and version the file belongs to, by the repository
    /// layout (`group/as/dirs/artifact/version/file`, `…/artifact/maven-metadata.xml`); a
    /// checksum belongs to its file's package.
    var package: PackageRef? {
        if let (file, _) = checksumOf { return file.package }
        let n = segments.count
        if fileName.hasPrefix("maven-metadata") {
            guard n >= 3 else { return nil }
            if segments[n - 2].hasSuffix("-SNAPSHOT"), n >= 4 {
                return PackageRef(segments[..<(n - 3)].joined(separator: ".") + "/" + segments[n - 3], version: segments[n - 2])
            }
            return PackageRef(segments[..<(n - 2)].joined(separator: ".") + "/" + segments[n - 2])
        }
        guard n >= 4 else { return nil }
        return PackageRef(segments[..<(n - 3)].joined(separator: ".") + "/" + segments[n - 3], version: segments[n - 2])
    }

    /// When the file is a checksum file: the path of the file it describes, and the algorithm.
    var checksumOf: (path: MavenPath, algorithm: Integrity.Algorithm)? {
        for (ext, algorithm) in Self.checksumExtensions where fileName.hasSuffix("." + ext) && fileName.count > ext.count + 1 {
            var base = segments
            base[base.count - 1] = String(fileName.dropLast(ext.count + 1))
            return (MavenPath(segments: base), algorithm)
        }
        return nil
    }

    /// Whether the file changes upstream: repository metadata, or anything of a snapshot version.
    var isMutable: Bool {
        let name = checksumOf?.path.fileName ?? fileName
        return name == "maven-metadata.xml" || (name.hasPrefix("maven-metadata-") && name.hasSuffix(".xml")) || segments.contains { $0.hasSuffix("-SNAPSHOT") } || name.contains("-SNAPSHOT")
    }

    /// This path with `.ext` appended to the file name.
    func appending(_ ext: String) -> MavenPath {
        var copy = segments
        copy[copy.count - 1] += "." + ext
        return MavenPath(segments: copy)
    }

    /// The path as sent upstream, each segment percent-encoded.
    var urlPath: String { "/" + segments.map(URLPath.encodeSegment).joined(separator: "/") }
}
