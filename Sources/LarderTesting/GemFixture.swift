import Crypto
import Foundation
import NIOCore

/// A gem a fixture source serves.
public struct FixtureGem: Sendable {
    /// The gem's name.
    public var name: String
    /// Its version.
    public var version: String
    /// Runtime dependencies: name to requirement (`~> 1.2`).
    public var dependencies: [String: String]
    /// The `.gem` file.
    public var file: PackageFile

    /// Describes a gem.
    public init(name: String, version: String, dependencies: [String: String] = [:], file: PackageFile) {
        self.name = name
        self.version = version
        self.dependencies = dependencies
        self.file = file
    }
}

extension FixtureRegistry {
    /// Publishes gems as a RubyGems source serves them: `gems/<file>.gem`, the legacy index
    /// made by the real `gem generate_index` (`specs.4.8.gz`, `latest_specs.4.8.gz`,
    /// `prerelease_specs.4.8.gz`, `quick/Marshal.4.8/*.gemspec.rz`) and, unless `compactIndex` is
    /// false, the compact index (`versions`, `info/<name>`, with the quoted MD5 ETag Bundler
    /// checks). Every gem published so far is in the indexes.
    public func publishGems(_ gems: [FixtureGem], compactIndex: Bool = true) async throws {
        let all = state.gems.withLock { published in
            for gem in gems { published[gem.file.filename] = gem }
            return Array(published.values).sorted { $0.file.filename < $1.file.filename }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("larder-gem-index-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/repo/gems", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for gem in all {
            try gem.file.data.write(to: URL(fileURLWithPath: "\(dir)/repo/gems/\(gem.file.filename)"))
            set("/gems/\(gem.file.filename)", body: ByteBuffer(bytes: gem.file.data))
        }
        try await Shell.run(["gem", "generate_index", "--silent", "--directory", dir + "/repo"], environment: ["HOME": dir], clean: true)
        for file in ["specs.4.8.gz", "latest_specs.4.8.gz", "prerelease_specs.4.8.gz"] {
            set("/" + file, body: ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/repo/\(file)"))))
        }
        for gem in all {
            let spec = "quick/Marshal.4.8/\(gem.name)-\(gem.version).gemspec.rz"
            set("/" + spec, body: ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/repo/\(spec)"))))
        }
        guard compactIndex else { return }
        var versions = "created_at: 2026-11-01T00:00:00Z\n---\n"
        for (name, releases) in Dictionary(grouping: all, by: \.name).sorted(by: { $0.key < $1.key }) {
            var info = "---\n"
            for gem in releases {
                let dependencies = gem.dependencies.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
                info += "\(gem.version) \(dependencies)|checksum:\(gem.file.sha256),ruby:>= 0\n"
            }
            let md5 = Insecure.MD5.hash(data: Data(info.utf8)).map { String(format: "%02x", $0) }.joined()
            set("/info/\(name)", body: ByteBuffer(string: info), contentType: "text/plain; charset=utf-8", etag: "\"\(md5)\"")
            versions += "\(name) \(releases.map(\.version).joined(separator: ",")) \(md5)\n"
        }
        let md5 = Insecure.MD5.hash(data: Data(versions.utf8)).map { String(format: "%02x", $0) }.joined()
        set("/versions", body: ByteBuffer(string: versions), contentType: "text/plain; charset=utf-8", etag: "\"\(md5)\"")
    }
}

extension PackageBuilder {
    /// A `.gem` made by the real `gem build` from a gemspec with one file and the given runtime
    /// dependencies (name to requirement).
    public static func gem(name: String, version: String, dependencies: [String: String] = [:]) async throws -> FixtureGem {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("larder-gem-build-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/lib", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let module = name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        try "module \(module)\n  VERSION = \"\(version)\"\nend\n".write(toFile: "\(dir)/lib/\(name).rb", atomically: true, encoding: .utf8)
        var spec = """
            Gem::Specification.new do |s|
              s.name = "\(name)"
              s.version = "\(version)"
              s.summary = "Larder test fixture"
              s.authors = ["Larder"]
              s.license = "MIT"
              s.files = ["lib/\(name).rb"]

            """
        for (dependency, requirement) in dependencies.sorted(by: { $0.key < $1.key }) { spec += "  s.add_runtime_dependency \"\(dependency)\", \"\(requirement)\"\n" }
        spec += "end\n"
        try spec.write(toFile: "\(dir)/fixture.gemspec", atomically: true, encoding: .utf8)
        try await Shell.run(["gem", "build", "fixture.gemspec"], in: dir, environment: ["HOME": dir], clean: true)
        let filename = "\(name)-\(version).gem"
        return FixtureGem(name: name, version: version, dependencies: dependencies, file: PackageFile(filename: filename, data: try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(filename)"))))
    }
}
