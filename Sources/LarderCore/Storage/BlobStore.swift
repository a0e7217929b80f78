public import NIOCore

/// Content-addressed storage for cached bytes. The embedded default is a directory of files;
/// a scale-out deployment uses S3-compatible object storage. Blobs are written by staging them
/// to a local file first (the engine hashes and verifies there), then ingesting the file.
public protocol BlobStore: Sendable {
    /// A new local file path to stage a download in. It is removed at start-up if left behind.
    func makeStagingPath() throws -> String
    /// Moves a fully written, verified staging file into the store under `digest`.
    func ingest(stagingPath: String, digest: String) async throws
    /// Size of blob `digest`, or nil when it is not stored.
    func size(ofDigest digest: String) async throws -> Int64?
    /// Reads `range` of blob `digest` (all of it when nil) in chunks of about `chunkSize` bytes;
    /// nil when it is not stored.
    func read(digest: String, range: ClosedRange<Int64>?, chunkSize: Int) async throws -> ByteChunks?
    /// Reads a whole blob into memory, for small objects only; nil when it is not stored.
    func readAll(digest: String, maxSize: Int) async throws -> ByteBuffer?
    /// Deletes blob `digest` if stored.
    func delete(digest: String) async throws
    /// Removes staging files left over by a crash.
    func removeLeftovers() throws -> Int
    /// Waits until no other process sharing the store is filling `key`, and holds that right
    /// until the lock is released, so that processes sharing a store download a key once.
    func lockFill(key: String) async throws -> any FillLock
}

/// The right to fill one key, across processes sharing a store.
public protocol FillLock: Sendable {
    /// Gives the right up.
    func release()
}
