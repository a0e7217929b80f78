import CompressNIO
public import Foundation
public import LarderCore
public import NIOCore
import NIOFoundationCompat

/// NuGet V3 documents: the service index (which resources a feed offers, where), flat
/// container version lists, and registration documents (which nuget.org stores gzipped and
/// serves with `Content-Encoding: gzip` whatever the request asks).
public enum NuGetDocuments {
    /// The registration resource types, best first (3.6.0 includes SemVer 2.0.0 packages).
    static let registrationTypes = ["RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/3.4.0", "RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl"]
    /// The flat container's type.
    static let packageBaseAddress = "PackageBaseAddress/3.0.0"

    /// The resources of a service index, by `@type` (the first of each type).
    public static func resources(_ body: ByteBuffer) throws(LarderError) -> [String: String] {
        guard let object = json(body), (object["version"] as? String)?.hasPrefix("3.") == true, let resources = object["resources"] as? [[String: Any]] else {
            throw LarderError(.upstreamFailed, "the feed's service index is not a NuGet V3 service index (a JSON object with version 3.x and resources)")
        }
        var out: [String: String] = [:]
        for resource in resources {
            guard let type = resource["@type"] as? String, let id = resource["@id"] as? String, out[type] == nil else { continue }
            out[type] = id
        }
        return out
    }

    /// The base URL (ending in `/`) of the feed's flat container.
    static func flatContainer(_ resources: [String: String]) throws(LarderError) -> String {
        guard let base = resources[packageBaseAddress] else { throw LarderError(.notFound, "the feed offers no \(packageBaseAddress) resource (flat container)") }
        return base.hasSuffix("/") ? base : base + "/"
    }

    /// The base URL (ending in `/`) of the feed's best registration hive.
    static func registrations(_ resources: [String: String]) throws(LarderError) -> String {
        guard let base = registrationTypes.lazy.compactMap({ resources[$0] }).first else { throw LarderError(.notFound, "the feed offers no RegistrationsBaseUrl resource") }
        return base.hasSuffix("/") ? base : base + "/"
    }

    /// Larder's service index: the flat container and one registration hive (answering for
    /// every registration type), at Larder's own URLs.
    public static func serviceIndex(flatContainer: String, registrations: String) -> ByteBuffer {
        var resources: [[String: String]] = [["@id": flatContainer, "@type": packageBaseAddress, "comment": "Larder's flat container"]]
        for type in registrationTypes { resources.append(["@id": registrations, "@type": type, "comment": "Larder's registrations"]) }
        let object: [String: Any] = ["version": "3.0.0", "resources": resources]
        return ByteBuffer(data: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// The versions a flat container's `index.json` lists.
    public static func versions(_ body: ByteBuffer) throws(LarderError) -> [String] {
        guard let versions = json(body)?["versions"] as? [String] else {
            throw LarderError(.upstreamFailed, "the feed's version list is not a flat container index (a JSON object with versions)")
        }
        return versions
    }

    /// When a standalone registration leaf says its version was published; nil when it does
    /// not say, and for an unlisted version (nuget.org then writes a date in 1900, which is no
    /// publish time).
    public static func leafPublished(_ body: ByteBuffer) throws(LarderError) -> Date? {
        guard let object = json(try inflated(body)) else { throw LarderError(.upstreamFailed, "the feed's registration leaf is not a JSON object") }
        guard let text = object["published"] as? String, let date = RFC3339.date(text), date > Date(timeIntervalSince1970: -2_208_988_800) else { return nil }
        return date
    }

    /// The flat container index listing only the versions `allowed` lets through.
    public static func filteredVersions(_ body: ByteBuffer, allowed: VersionFilter) throws -> ByteBuffer {
        let listed = try versions(body).filter(allowed.allows)
        return ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["versions": listed]))
    }

    /// A registration index or page without the versions `allowed` refuses: leaves whose
    /// catalog entry's version is refused are dropped (those inlined in an index's pages and a
    /// page's own), counts follow them, and a page left empty leaves the index. Pages the index
    /// only links are cut when they are fetched. Anything but a JSON object is left as it is.
    public static func filteredRegistration(_ body: ByteBuffer, allowed: VersionFilter) throws -> ByteBuffer {
        guard !allowed.allowsEverything, let object = json(body) else { return body }
        return ByteBuffer(data: try JSONSerialization.data(withJSONObject: withoutRefused(object, allowed), options: [.withoutEscapingSlashes]))
    }

    private static func withoutRefused(_ node: [String: Any], _ allowed: VersionFilter) -> [String: Any] {
        guard let items = node["items"] as? [[String: Any]] else { return node }
        var kept: [[String: Any]] = []
        for item in items {
            if let entry = item["catalogEntry"] as? [String: Any] {
                // The flat container's versions, which rules are matched with, are lower-case.
                if allowed.allows((entry["version"] as? String ?? "").lowercased()) { kept.append(item) }
            } else if item["items"] is [Any] {
                let page = withoutRefused(item, allowed)
                if (page["items"] as? [Any])?.isEmpty == false { kept.append(page) }
            } else {
                kept.append(item)
            }
        }
        var node = node
        node["items"] = kept
        node["count"] = kept.count
        return node
    }

    /// A stored document's JSON bytes: inflated when it is gzip (nuget.org's registration
    /// hives are stored compressed), bounded.
    public static func inflated(_ body: ByteBuffer) throws(LarderError) -> ByteBuffer {
        guard body.readableBytesView.starts(with: [0x1f, 0x8b]) else { return body }
        var copy = body
        do {
            return try copy.decompress(with: .gzip(), maxSize: 256 << 20)
        } catch {
            throw LarderError(.upstreamFailed, "the feed's gzip document cannot be inflated (\(error))")
        }
    }

    /// A registration document (index, page or leaf) with the feed's registration and flat
    /// container URLs replaced by Larder's.
    public static func rewritten(_ body: ByteBuffer, replacing bases: [(from: String, to: String)]) throws -> ByteBuffer {
        var text = String(decoding: try inflated(body).readableBytesView, as: UTF8.self)
        for (from, to) in bases where !from.isEmpty {
            text = text.replacingOccurrences(of: "\"" + from, with: "\"" + to)
            text = text.replacingOccurrences(of: "\"" + from.replacingOccurrences(of: "/", with: "\\/"), with: "\"" + to)
        }
        return ByteBuffer(string: text)
    }

    /// Checks that a document is a JSON object once inflated.
    static func validateJSON(_ body: ByteBuffer, what: String) throws(LarderError) {
        guard json(try inflated(body)) != nil else { throw LarderError(.upstreamFailed, "the feed's \(what) is not a JSON document") }
    }

    static func json(_ body: ByteBuffer) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
    }
}
