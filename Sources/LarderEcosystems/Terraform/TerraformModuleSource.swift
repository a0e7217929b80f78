import Foundation

/// A module registry's `X-Terraform-Get` value when it names an HTTP archive Larder can cache:
/// the URL to fetch, the archive type, and the subdirectory within it, split as go-getter (the
/// library Terraform fetches modules with) splits them. Other sources (`git::`, `s3::`,
/// shorthands like `github.com/org/repo`, URLs without an archive type) are not cacheable.
struct TerraformModuleSource: Equatable {
    /// The archive's URL, without the subdirectory and the `archive` parameter.
    var url: String
    /// The archive type (`tar.gz`, `zip`, …).
    var archive: String
    /// The subdirectory of the archive holding the module (may be `*`), or empty.
    var subdir: String

    /// The archive types go-getter recognises, longest suffix first.
    static let archiveTypes = ["tar.gz", "tar.bz2", "tar.xz", "tgz", "tbz2", "txz", "zip", "tar"]

    /// Parses `value`, resolving a relative one (`/…`, `./…`, `../…`) against `base`, the URL of
    /// the download answer; nil when it is not an HTTP archive.
    init?(_ value: String, relativeTo base: String) {
        var text = value.trimmingCharacters(in: .whitespaces)
        for forced in ["http::", "https::"] where text.lowercased().hasPrefix(forced) { text.removeFirst(forced.count) }
        let (source, subdir) = Self.splitSubdir(text)
        let absolute: String
        if source.hasPrefix("/") || source.hasPrefix("./") || source.hasPrefix("../") {
            guard let baseURL = URL(string: base), let resolved = URL(string: source, relativeTo: baseURL)?.absoluteString else { return nil }
            absolute = resolved
        } else {
            absolute = source
        }
        guard var components = URLComponents(string: absolute), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https", components.host != nil else {
            return nil
        }
        var archive: String?
        if let items = components.queryItems, let forced = items.first(where: { $0.name == "archive" }) {
            guard let type = forced.value?.lowercased(), Self.archiveTypes.contains(type) else { return nil }
            archive = type
            let rest = items.filter { $0.name != "archive" }
            components.queryItems = rest.isEmpty ? nil : rest
        } else {
            let path = components.path.lowercased()
            archive = Self.archiveTypes.first { path.hasSuffix("." + $0) }
        }
        guard let archive, let url = components.string else { return nil }
        self.url = url
        self.archive = archive
        self.subdir = subdir
    }

    /// go-getter's `SourceDirSubdir`: `https://host/a.tgz//sub?x=1` is `https://host/a.tgz?x=1`
    /// and `sub`.
    static func splitSubdir(_ source: String) -> (String, String) {
        let stop = source.firstIndex(of: "?") ?? source.endIndex
        var offset = source.startIndex
        if let scheme = source[..<stop].range(of: "://") { offset = scheme.upperBound }
        guard let slashes = source[offset..<stop].range(of: "//") else { return (source, "") }
        var subdir = String(source[slashes.upperBound...])
        var rest = String(source[..<slashes.lowerBound])
        if let query = subdir.firstIndex(of: "?") {
            rest += subdir[query...]
            subdir = String(subdir[..<query])
        }
        return (rest, subdir)
    }
}
