import Foundation
@testable import LarderCore
import LarderTesting
import NIOCore
import Testing

/// Processes sharing one data directory (larder serve beside larder mirror).
@Suite("Engine: a data directory shared by processes")
struct SharedStoreTests {
    @Test("a blob's deletion waits for a commit in progress and keeps the blob the new entry needs")
    func deletionWaitsForCommit() async throws {
        let upstream = try await FixtureRegistry()
        try await stopping(upstream) {
            let data = payload(2_000, seed: 5)
            upstream.set("/x.bin", body: ByteBuffer(bytes: data))
            let harness = try EngineHarness()
            let route = harness.artifact(upstream.url, "/x.bin", integrity: nil)
            let entry = try await harness.engine.ensureArtifact(route).entry
            try await harness.index.remove(key: entry.key, ifDigest: entry.digest)

            // Another process is committing the same bytes under another key, holding the blob's lock.
            let other = try EngineHarness(directory: harness.directory)
            let committing = try await other.blobs.lockBlob(digest: entry.digest)
            let deletion = Task { try await harness.engine.deleteIfUnreferenced(entry.digest) }
            try await Task.sleep(for: .milliseconds(100))
            var reference = entry
            reference.key = "test/another-key"
            try await other.index.put(reference)
            committing.release()
            try await deletion.value
            #expect(try await harness.blobs.size(ofDigest: entry.digest) == Int64(data.count))

            try await other.index.remove(key: reference.key, ifDigest: entry.digest)
            try await harness.engine.deleteIfUnreferenced(entry.digest)
            #expect(try await harness.blobs.size(ofDigest: entry.digest) == nil)
        }
    }

    @Test("staging files of processes that are gone are removed while running; those of live ones stay")
    func abandonedStaging() async throws {
        let harness = try EngineHarness()
        let tmp = harness.directory + "/tmp"
        var dead: pid_t = 999_999
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let abandoned = "\(tmp)/fill-\(dead)-0000.part"
        let live = "\(tmp)/fill-\(getppid())-1111.part"
        for path in [abandoned, live] { try Data("partial".utf8).write(to: URL(fileURLWithPath: path)) }
        harness.engine.removeAbandonedStaging()
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: live))
    }
}
