import Crypto
import Foundation
import LarderCore
import LarderSQLite
import LarderTesting
import NIOCore
import Synchronization

/// An engine over a fresh data directory, with helpers to build routes to a fixture upstream.
struct EngineHarness {
    let engine: Engine
    let index: SQLiteCacheIndex
    let blobs: FileBlobStore
    let directory: String

    init(ttl: Duration = .seconds(300), readTimeout: Duration = .seconds(60), directory: String? = nil, trust: UpstreamTrust = UpstreamTrust(), configure: (inout EngineConfiguration) -> Void = { _ in }) throws {
        let directory = directory ?? TestLarder.temporaryDirectory("engine")
        self.directory = directory
        index = try SQLiteCacheIndex(path: directory + "/index.sqlite")
        blobs = try FileBlobStore(root: directory)
        var configuration = EngineConfiguration()
        configuration.metadataTTL = ttl
        configuration.shutdownGrace = .milliseconds(200)
        // A revalidation is awaited to its end unless a test is about the deadline (and sets it):
        // answers after a revalidation must not depend on how loaded the machine is.
        configuration.revalidationDeadline = .seconds(30)
        configure(&configuration)
        engine = Engine(index: index, blobs: blobs, upstream: UpstreamClient(timeouts: UpstreamTimeouts(connect: .seconds(2), read: readTimeout, passthrough: .seconds(2)), trust: trust), configuration: configuration)
    }

    func artifact(_ upstream: String, _ path: String, integrity: Integrity?) -> Route {
        Route(ecosystem: "generic", key: "test/artifact\(path)", kind: .artifact) {
            [Source(request: UpstreamRequest(url: upstream + path), integrity: integrity)]
        }
    }

    func metadata(_ upstream: String, _ path: String) -> Route {
        Route(ecosystem: "generic", key: "test/metadata\(path)", kind: .metadata, presenter: MetadataPresenter(variant: "plain") { doc in
            Presentation(body: doc.body, contentType: "text/plain")
        }) {
            [Source(request: UpstreamRequest(url: upstream + path))]
        }
    }

    /// An artifact route trying `upstreams` in order for `path`.
    func artifact(_ upstreams: [Upstream], _ path: String, integrity: Integrity? = nil, key: String? = nil) -> Route {
        Route(ecosystem: "generic", key: key ?? "test/artifact\(path)", kind: .artifact) {
            upstreams.map { $0.source(path: path, integrity: integrity) }
        }
    }

    /// A metadata route (served as stored) trying `upstreams` in order for `path`.
    func document(_ upstreams: [Upstream], _ path: String) -> Route {
        Route(ecosystem: "generic", key: "test/document\(path)", kind: .metadata, contentType: "text/plain") {
            upstreams.map { $0.source(path: path) }
        }
    }

    func get(_ route: Route, headers: [String: String] = [:], method: ClientRequest.Method = .get, populate: Bool = true) async -> EngineResponse {
        var request = ClientRequest(method: method, path: try! RequestPath(raw: "/x"), headers: headers, baseURL: "http://127.0.0.1")
        request.populate = populate
        do {
            return try await engine.serve(route, request: request)
        } catch {
            return .error(error)
        }
    }

    /// Files in the blob directory.
    func storedBlobs() -> [String] {
        let root = directory + "/blobs/sha256"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.count > 3 }
    }

    /// Files in the staging directory.
    func stagingFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory + "/tmp")) ?? []
    }
}

/// An upstream for a fixture (or any URL) in tests.
func upstream(_ url: String, credentials: UpstreamCredentials? = nil, verifyOnHit: Bool = false) -> Upstream {
    try! Upstream(url: url, setting: "test", credentials: credentials, verifyOnHit: verifyOnHit)
}

/// Reads a response body whole.
func collect(_ response: EngineResponse) async throws -> Data {
    switch response.body {
    case .empty: return Data()
    case .buffer(let buffer): return Data(buffer.readableBytesView)
    case .stream(let chunks):
        var data = Data()
        for try await chunk in chunks { data.append(contentsOf: chunk.readableBytesView) }
        return data
    }
}

func sha256Integrity(_ data: Data) -> Integrity {
    Integrity(algorithm: .sha256, hex: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())!
}

/// Deterministic pseudo-random bytes.
func payload(_ size: Int, seed: UInt64 = 1) -> Data {
    var state = seed &* 0x9E37_79B9_7F4A_7C15
    var bytes = [UInt8](repeating: 0, count: size)
    for i in 0..<size {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[i] = UInt8(truncatingIfNeeded: state)
    }
    return Data(bytes)
}

