import CompressNIO
public import Foundation
import NIOCore

extension FixtureRegistry {
    /// Publishes a NuGet V3 feed of one package the way nuget.org lays it out: the service index
    /// at `/v3/index.json` (flat container, a gzip-stored registration hive, search), the flat
    /// container's version list, `.nupkg` and `.nuspec`, and a registration index whose one page
    /// is not inlined (its leaves' `packageContent` point at the flat container). Registration
    /// documents are gzip with `Content-Encoding: gzip`, whatever the request asks, as nuget.org
    /// serves them. Each version also has its standalone registration leaf, with `published`
    /// from `published` (an `unlisted` version gets nuget.org's 1900 date instead; a version in
    /// neither has none). Returns the packages by version.
    @discardableResult
    public func publishNuGetPackage(id: String, versions: [String], published: [String: Date] = [:], unlisted: Set<String> = []) -> [String: PackageFile] {
        let lower = id.lowercased()
        let flat = url + "/v3-flatcontainer/"
        let registrations = url + "/v3/registration5-gz-semver2/"
        let index: [String: Any] = ["version": "3.0.0", "resources": [
            ["@id": flat, "@type": "PackageBaseAddress/3.0.0"],
            ["@id": registrations, "@type": "RegistrationsBaseUrl/3.6.0"],
            ["@id": url + "/query", "@type": "SearchQueryService/3.5.0"],
        ]]
        set("/v3/index.json", body: json(index), contentType: "application/json")
        set("/v3-flatcontainer/\(lower)/index.json", body: json(["versions": versions]), contentType: "application/json")
        var packages: [String: PackageFile] = [:]
        var leaves: [[String: Any]] = []
        for version in versions {
            let nuspec = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package xmlns=\"http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd\"><metadata><id>\(id)</id><version>\(version)</version><authors>Larder</authors><description>fixture</description></metadata></package>\n"
            var zip = ZipWriter()
            zip.add("\(id).nuspec", Data(nuspec.utf8))
            zip.add("lib/net8.0/\(id).dll", Data("not really a dll \(version)".utf8))
            let package = PackageFile(filename: "\(lower).\(version).nupkg", data: zip.finish())
            packages[version] = package
            set("/v3-flatcontainer/\(lower)/\(version)/\(lower).\(version).nupkg", body: ByteBuffer(bytes: package.data))
            set("/v3-flatcontainer/\(lower)/\(version)/\(lower).nuspec", body: ByteBuffer(string: nuspec), contentType: "application/xml")
            let date = unlisted.contains(version) ? "1900-01-01T00:00:00+00:00" : published[version].map { ISO8601DateFormatter().string(from: $0) }
            var entry: [String: Any] = ["id": id, "version": version, "listed": !unlisted.contains(version), "dependencyGroups": [] as [Any]]
            entry["published"] = date
            leaves.append(["@id": "\(registrations)\(lower)/\(version).json", "packageContent": "\(flat)\(lower)/\(version)/\(lower).\(version).nupkg", "catalogEntry": entry])
            var leaf: [String: Any] = [
                "@id": "\(registrations)\(lower)/\(version).json", "listed": !unlisted.contains(version), "registration": "\(registrations)\(lower)/index.json",
                "packageContent": "\(flat)\(lower)/\(version)/\(lower).\(version).nupkg", "catalogEntry": "\(url)/v3/catalog0/data/\(lower).\(version).json",
            ]
            leaf["published"] = date
            var plain = json(leaf)
            set("/v3/registration5-gz-semver2/\(lower)/\(version).json", Resource(body: (try? plain.compress(with: .gzip())) ?? plain, contentType: "application/json", headers: [("Content-Encoding", "gzip")]))
        }
        let pageURL = "\(registrations)\(lower)/page/\(versions.first ?? "")/\(versions.last ?? "").json"
        let page: [String: Any] = ["@id": pageURL, "count": leaves.count, "items": leaves, "lower": versions.first ?? "", "upper": versions.last ?? ""]
        let registrationIndex: [String: Any] = ["count": 1, "items": [["@id": pageURL, "count": leaves.count, "lower": versions.first ?? "", "upper": versions.last ?? ""]]]
        for (path, object) in [("\(lower)/index.json", registrationIndex), ("\(lower)/page/\(versions.first ?? "")/\(versions.last ?? "").json", page)] {
            var plain = json(object)
            let zipped = (try? plain.compress(with: .gzip())) ?? plain
            set("/v3/registration5-gz-semver2/\(path)", Resource(body: zipped, contentType: "application/json", headers: [("Content-Encoding", "gzip")]))
        }
        return packages
    }

    private func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
