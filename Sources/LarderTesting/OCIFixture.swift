import Crypto
public import Foundation
import NIOCore

extension FixtureRegistry {
    /// The OCI image manifest media type.
    public static let ociManifestType = "application/vnd.oci.image.manifest.v1+json"
    /// The OCI image index media type.
    public static let ociIndexType = "application/vnd.oci.image.index.v1+json"

    /// A published OCI object: its digest (`sha256:<hex>`) and size.
    public struct OCIDescriptor: Sendable {
        /// `sha256:<hex>`.
        public var digest: String
        /// Bytes.
        public var size: Int
    }

    /// Serves `data` as a blob of `repository` (`/v2/<repository>/blobs/<digest>`), and the
    /// distribution API's base endpoint.
    @discardableResult
    public func publishOCIBlob(_ repository: String, _ data: Data) -> OCIDescriptor {
        let digest = "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        set("/v2/", Resource(body: ByteBuffer(string: "{}"), contentType: "application/json", headers: [("Docker-Distribution-API-Version", "registry/2.0")]))
        set("/v2/\(repository)/blobs/\(digest)", Resource(body: ByteBuffer(bytes: data), headers: [("Docker-Content-Digest", digest)]))
        return OCIDescriptor(digest: digest, size: data.count)
    }

    /// Serves a manifest (or index) of `repository` by digest and by each of `tags`, and lists
    /// the tags at `tags/list`.
    @discardableResult
    public func publishOCIManifest(_ repository: String, _ json: Data, mediaType: String, tags: [String]) -> OCIDescriptor {
        let descriptor = publishOCIBlob(repository, json)
        state.resources.withLock { $0.removeValue(forKey: "/v2/\(repository)/blobs/\(descriptor.digest)") }
        let resource = Resource(body: ByteBuffer(bytes: json), contentType: mediaType, etag: "\"\(descriptor.digest)\"", headers: [("Docker-Content-Digest", descriptor.digest)])
        for reference in [descriptor.digest] + tags { set("/v2/\(repository)/manifests/\(reference)", resource) }
        let listed = state.ociTags.withLock { all -> [String] in
            all[repository, default: []].append(contentsOf: tags)
            return all[repository]!
        }
        let list = try! JSONSerialization.data(withJSONObject: ["name": repository, "tags": listed.sorted()])
        set("/v2/\(repository)/tags/list", body: ByteBuffer(bytes: list), contentType: "application/json")
        return descriptor
    }

    /// Publishes a single-platform image: its layers (gzipped tarballs the test made, each with
    /// the SHA-256 of its uncompressed tar as `diffID`), a config, and an OCI manifest tagged
    /// `tags`.
    @discardableResult
    public func publishOCIImage(
        _ repository: String, layers: [(gzipped: Data, diffID: String)], architecture: String = "amd64", os: String = "linux", tags: [String]
    ) -> OCIDescriptor {
        let layerDescriptors = layers.map { publishOCIBlob(repository, $0.gzipped) }
        let config = try! JSONSerialization.data(withJSONObject: [
            "architecture": architecture, "os": os, "created": "2026-11-01T00:00:00Z",
            "config": ["Cmd": ["/bin/true"]],
            "rootfs": ["type": "layers", "diff_ids": layers.map(\.diffID)],
        ], options: [.sortedKeys])
        let configDescriptor = publishOCIBlob(repository, config)
        let manifest = try! JSONSerialization.data(withJSONObject: [
            "schemaVersion": 2, "mediaType": Self.ociManifestType,
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDescriptor.digest, "size": configDescriptor.size],
            "layers": layerDescriptors.map { ["mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": $0.digest, "size": $0.size] },
        ], options: [.sortedKeys])
        return publishOCIManifest(repository, manifest, mediaType: Self.ociManifestType, tags: tags)
    }

    /// Publishes an image index over `images` (manifests published before, with their
    /// platforms), tagged `tags`.
    @discardableResult
    public func publishOCIIndex(_ repository: String, images: [(manifest: OCIDescriptor, architecture: String)], tags: [String]) -> OCIDescriptor {
        let index = try! JSONSerialization.data(withJSONObject: [
            "schemaVersion": 2, "mediaType": Self.ociIndexType,
            "manifests": images.map {
                ["mediaType": Self.ociManifestType, "digest": $0.manifest.digest, "size": $0.manifest.size, "platform": ["architecture": $0.architecture, "os": "linux"]]
            },
        ], options: [.sortedKeys])
        return publishOCIManifest(repository, index, mediaType: Self.ociIndexType, tags: tags)
    }
}
