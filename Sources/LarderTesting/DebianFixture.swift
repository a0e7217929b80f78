public import Foundation
import NIOCore

/// A Debian package the fixture archive holds.
public struct FixtureDebianPackage: Sendable {
    /// The package name.
    public var name: String
    /// Its version.
    public var version: String
    /// Its architecture (`all`, `amd64`).
    public var architecture: String

    /// Describes a package.
    public init(name: String, version: String, architecture: String = "all") {
        self.name = name
        self.version = version
        self.architecture = architecture
    }

    /// Its file name in the pool.
    public var filename: String { "\(name)_\(version)_\(architecture).deb" }
    /// Its path from the archive's root.
    public var poolPath: String { "pool/main/\(name.prefix(1))/\(name)/\(filename)" }
}

extension FixtureRegistry {
    /// Builds a Debian archive with one suite and component `main` for `amd64`: `.deb` files
    /// made with `dpkg-deb`, `Packages` (plain, gzip and xz) and `Release` made with
    /// `apt-ftparchive`, `InRelease` and `Release.gpg` signed with `key`; serves it below
    /// `prefix`. With `byHash`, the indexes are under `by-hash/SHA256/` and `by-hash/SHA512/` too and the `Release`
    /// says `Acquire-By-Hash: yes`. Returns the packages' files by pool path.
    @discardableResult
    public func publishDebianArchive(prefix: String = "/debian", suite: String = "stable", packages: [FixtureDebianPackage], key: FixtureSigningKey, byHash: Bool = false) async throws -> [String: PackageFile] {
        let root = TestLarder.temporaryDirectory("deb-archive")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var files: [String: PackageFile] = [:]
        for package in packages {
            let build = root + "/build/\(package.name)-\(package.version)"
            try FileManager.default.createDirectory(atPath: build + "/DEBIAN", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: build + "/usr/share/doc/\(package.name)", withIntermediateDirectories: true)
            try """
                Package: \(package.name)
                Version: \(package.version)
                Architecture: \(package.architecture)
                Maintainer: Larder Tests <tests@example.invalid>
                Description: a package built by Larder's tests

                """.write(toFile: build + "/DEBIAN/control", atomically: true, encoding: .utf8)
            try "\(package.name) \(package.version)\n".write(toFile: build + "/usr/share/doc/\(package.name)/README", atomically: true, encoding: .utf8)
            let target = root + "/archive/" + package.poolPath
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await Shell.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", build, target])
            files[package.poolPath] = PackageFile(filename: package.filename, data: try Data(contentsOf: URL(fileURLWithPath: target)))
        }
        let archive = root + "/archive"
        let binary = archive + "/dists/\(suite)/main/binary-amd64"
        try FileManager.default.createDirectory(atPath: binary, withIntermediateDirectories: true)
        let packagesIndex = try await Shell.run(["apt-ftparchive", "packages", "pool"], in: archive)
        try packagesIndex.write(toFile: binary + "/Packages", atomically: true, encoding: .utf8)
        try await Shell.run(["sh", "-c", "gzip -9 -n -k Packages && xz -k Packages"], in: binary)
        if byHash {
            try await Shell.run(["sh", "-c", "mkdir -p by-hash/SHA256 by-hash/SHA512 && for f in Packages Packages.gz Packages.xz; do cp $f by-hash/SHA256/$(sha256sum $f | cut -d' ' -f1); cp $f by-hash/SHA512/$(sha512sum $f | cut -d' ' -f1); done"], in: binary)
        }
        let release = try await Shell.run([
            "apt-ftparchive", "-o", "APT::FTPArchive::Release::Acquire-By-Hash=\(byHash ? "yes" : "no")", "-o", "APT::FTPArchive::Release::Suite=\(suite)", "-o", "APT::FTPArchive::Release::Codename=\(suite)",
            "-o", "APT::FTPArchive::Release::Components=main", "-o", "APT::FTPArchive::Release::Architectures=amd64", "release", "dists/\(suite)",
        ], in: archive)
        try release.write(toFile: archive + "/dists/\(suite)/Release", atomically: true, encoding: .utf8)
        try await Shell.run(["gpg", "--batch", "--homedir", key.home, "--pinentry-mode", "loopback", "--passphrase", "", "--clearsign", "-o", "InRelease", "Release"], in: archive + "/dists/\(suite)")
        try await Shell.run(["gpg", "--batch", "--homedir", key.home, "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--detach-sign", "-o", "Release.gpg", "Release"], in: archive + "/dists/\(suite)")
        let enumerator = FileManager.default.enumerator(atPath: archive)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: archive + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            set("\(prefix)/\(relative)", body: ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: archive + "/" + relative))))
        }
        return files
    }

    /// The binary keyring apt needs to trust `key` (for `signed-by`), written to `path`.
    public static func debianKeyring(_ key: FixtureSigningKey, path: String) async throws {
        try await Shell.run(["gpg", "--batch", "--homedir", key.home, "--yes", "--export", "-o", path])
    }
}

extension FixtureRegistry {
    /// A new registry serving a Debian archive of two packages, `larder-hello` and
    /// `larder-other` (both 1.0-1, architecture all), signed with `key`.
    public static func debianPair(key: FixtureSigningKey) async throws -> (registry: FixtureRegistry, hello: FixtureDebianPackage, other: FixtureDebianPackage) {
        let registry = try await FixtureRegistry()
        let hello = FixtureDebianPackage(name: "larder-hello", version: "1.0-1")
        let other = FixtureDebianPackage(name: "larder-other", version: "1.0-1")
        try await registry.publishDebianArchive(packages: [hello, other], key: key)
        return (registry, hello, other)
    }
}
