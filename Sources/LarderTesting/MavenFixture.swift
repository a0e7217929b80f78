import Crypto
public import Foundation
import NIOCore

/// A Maven project a fixture repository publishes: its POM (with parent and dependencies) and,
/// unless it is a `pom`, a jar.
public struct MavenProject: Sendable {
    /// Coordinates.
    public var group: String
    public var artifact: String
    public var version: String
    /// `jar`, `pom` or `maven-plugin`.
    public var packaging: String
    /// The parent POM, if any.
    public var parent: (group: String, artifact: String, version: String)?
    /// Dependencies: coordinates with a version or a range (`[1.0,2.0)`).
    public var dependencies: [(group: String, artifact: String, version: String)]
    /// The jar's bytes; a small real jar is made when nil.
    public var jar: Data?

    /// Creates a project.
    public init(group: String, artifact: String, version: String, packaging: String = "jar", parent: (group: String, artifact: String, version: String)? = nil, dependencies: [(group: String, artifact: String, version: String)] = [], jar: Data? = nil) {
        self.group = group
        self.artifact = artifact
        self.version = version
        self.packaging = packaging
        self.parent = parent
        self.dependencies = dependencies
        self.jar = jar
    }

    /// The POM.
    public var pom: Data {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a Larder test fixture: <parent> in a comment is ignored -->\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n"
        if let parent { xml += "  <parent><groupId>\(parent.group)</groupId><artifactId>\(parent.artifact)</artifactId><version>\(parent.version)</version></parent>\n" }
        xml += "  <groupId>\(group)</groupId>\n  <artifactId>\(artifact)</artifactId>\n  <version>\(version)</version>\n  <packaging>\(packaging)</packaging>\n"
        if !dependencies.isEmpty {
            xml += "  <dependencies>\n"
            for d in dependencies { xml += "    <dependency><groupId>\(d.group)</groupId><artifactId>\(d.artifact)</artifactId><version>\(d.version)</version></dependency>\n" }
            xml += "  </dependencies>\n"
        }
        return Data((xml + "</project>\n").utf8)
    }

    /// The jar: the given bytes, or a jar holding one text file naming the project.
    public var jarBytes: Data {
        if let jar { return jar }
        var zip = ZipWriter()
        zip.add("META-INF/MANIFEST.MF", Data("Manifest-Version: 1.0\nCreated-By: larder-tests\n".utf8))
        zip.add("\(artifact.replacingOccurrences(of: "-", with: "_"))/VERSION.txt", Data("\(group):\(artifact):\(version)\n".utf8))
        return zip.finish()
    }

    /// `org/example/lib/1.0`.
    public var directory: String { "\(group.replacingOccurrences(of: ".", with: "/"))/\(artifact)/\(version)" }
}

extension FixtureRegistry {
    /// The URL of the repository published under `prefix`.
    public func mavenURL(prefix: String = "/maven2") -> String { url + prefix }

    /// Publishes `data` at `path` below `prefix` with checksum files (`sha1`, `md5`, `sha256`,
    /// `sha512`), each served with an ETag derived from the content.
    public func publishMavenFile(_ path: String, _ data: Data, prefix: String = "/maven2", checksums: [String] = ["sha1", "md5"], contentType: String = "application/octet-stream") {
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        set(prefix + "/" + path, Resource(body: ByteBuffer(bytes: data), contentType: contentType, etag: "\"\(digest.prefix(16))\""))
        for algorithm in checksums {
            let hex = Self.hex(data, algorithm)
            set(prefix + "/" + path + "." + algorithm, Resource(body: ByteBuffer(string: hex), contentType: "text/plain", etag: "\"\(hex.prefix(16))\""))
        }
    }

    /// Publishes a project's POM and jar (with checksum files), and `maven-metadata.xml` listing
    /// every version of the artifact published so far.
    public func publishMaven(_ project: MavenProject, prefix: String = "/maven2") {
        publishMavenFile("\(project.directory)/\(project.artifact)-\(project.version).pom", project.pom, prefix: prefix, contentType: "application/xml")
        if project.packaging != "pom" {
            publishMavenFile("\(project.directory)/\(project.artifact)-\(project.version).jar", project.jarBytes, prefix: prefix, contentType: "application/java-archive")
        }
        let key = "maven:\(prefix):\(project.group):\(project.artifact)"
        let versions = state.mavenVersions.withLock { table -> [String] in
            table[key, default: []].insert(project.version)
            return table[key]!.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        }
        let metadata = """
            <?xml version="1.0" encoding="UTF-8"?>
            <metadata>
              <groupId>\(project.group)</groupId>
              <artifactId>\(project.artifact)</artifactId>
              <versioning>
                <latest>\(versions.last!)</latest>
                <release>\(versions.last!)</release>
                <versions>
            \(versions.map { "      <version>\($0)</version>" }.joined(separator: "\n"))
                </versions>
                <lastUpdated>20260101000000</lastUpdated>
              </versioning>
            </metadata>

            """
        publishMavenFile("\(project.group.replacingOccurrences(of: ".", with: "/"))/\(project.artifact)/maven-metadata.xml", Data(metadata.utf8), prefix: prefix, contentType: "application/xml")
    }

    static func hex(_ data: Data, _ algorithm: String) -> String {
        switch algorithm {
        case "sha1": Insecure.SHA1.hash(data: data).map { String(format: "%02x", $0) }.joined()
        case "md5": Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
        case "sha512": SHA512.hash(data: data).map { String(format: "%02x", $0) }.joined()
        default: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
    }
}

extension PackageBuilder {
    /// A Maven plugin with one goal, `resolve`, that needs the project's runtime dependencies
    /// resolved and prints each (`larder-resolved group:artifact:version path`). Compiled with
    /// `javac` against the Maven installation's own libraries, with a hand-written plugin
    /// descriptor, because Debian's Maven carries no plugins to build one with.
    public static func mavenProbePlugin(group: String, artifact: String, version: String, mavenHome: String = "/usr/share/maven") async throws -> MavenProject {
        let dir = TestLarder.temporaryDirectory("maven-plugin")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = dir + "/src/larder/probe"
        let classes = dir + "/classes"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: classes + "/META-INF/maven", withIntermediateDirectories: true)
        try """
            package larder.probe;
            import org.apache.maven.artifact.Artifact;
            import org.apache.maven.plugin.AbstractMojo;
            import org.apache.maven.project.MavenProject;
            public class ProbeMojo extends AbstractMojo {
                private MavenProject project;
                public void execute() {
                    for (Object o : project.getArtifacts()) {
                        Artifact a = (Artifact) o;
                        getLog().info("larder-resolved " + a.getGroupId() + ":" + a.getArtifactId() + ":" + a.getVersion() + " " + a.getFile());
                    }
                }
            }
            """.write(toFile: source + "/ProbeMojo.java", atomically: true, encoding: .utf8)
        try """
            <plugin>
              <name>larder-probe</name>
              <groupId>\(group)</groupId>
              <artifactId>\(artifact)</artifactId>
              <version>\(version)</version>
              <goalPrefix>larder-probe</goalPrefix>
              <isolatedRealm>false</isolatedRealm>
              <inheritedByDefault>true</inheritedByDefault>
              <mojos>
                <mojo>
                  <goal>resolve</goal>
                  <requiresDependencyResolution>runtime</requiresDependencyResolution>
                  <requiresProject>true</requiresProject>
                  <implementation>larder.probe.ProbeMojo</implementation>
                  <language>java</language>
                  <instantiationStrategy>per-lookup</instantiationStrategy>
                  <executionStrategy>once-per-session</executionStrategy>
                  <threadSafe>true</threadSafe>
                  <parameters>
                    <parameter><name>project</name><type>org.apache.maven.project.MavenProject</type><required>true</required><editable>false</editable><description>the project</description></parameter>
                  </parameters>
                  <configuration>
                    <project implementation="org.apache.maven.project.MavenProject" default-value="${project}"/>
                  </configuration>
                </mojo>
              </mojos>
              <dependencies/>
            </plugin>
            """.write(toFile: classes + "/META-INF/maven/plugin.xml", atomically: true, encoding: .utf8)
        let libraries = try FileManager.default.contentsOfDirectory(atPath: mavenHome + "/lib").filter { $0.hasSuffix(".jar") }.map { "\(mavenHome)/lib/\($0)" }
        try await Shell.run(["javac", "-nowarn", "-d", classes, "-cp", libraries.joined(separator: ":"), source + "/ProbeMojo.java"])
        var zip = ZipWriter()
        zip.add("META-INF/MANIFEST.MF", Data("Manifest-Version: 1.0\nCreated-By: larder-tests\n".utf8))
        zip.add("META-INF/maven/plugin.xml", try Data(contentsOf: URL(fileURLWithPath: classes + "/META-INF/maven/plugin.xml")))
        zip.add("larder/probe/ProbeMojo.class", try Data(contentsOf: URL(fileURLWithPath: classes + "/larder/probe/ProbeMojo.class")))
        return MavenProject(group: group, artifact: artifact, version: version, packaging: "maven-plugin", jar: zip.finish())
    }
}
