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
    /// Opens blob `digest` for reading; nil when it is not stored. The handle knows the size the
    /// blob has now, which the engine compares with the index before serving it.
    func open(digest: String) async throws -> (any BlobHandle)?
    /// Deletes blob `digest` if stored.
    func delete(digest: String) async throws
    /// Moves blob `digest` out of the store into quarantine, for an operator to inspect: it failed
    /// verification and must not be served.
    func quarantine(digest: String) async throws
    /// Removes staging files left over by a crash.
    func removeLeftovers() throws -> Int
    /// Waits until no other process sharing the store is filling `key`, and holds that right
    /// until the lock is released, so that processes sharing a store download a key once.
    func lockFill(key: String) async throws -> any FillLock
    /// Waits for and holds the right to change blob `digest` (commit it, or delete it once no
    /// entry refers to it), across processes sharing the store.
    func lockBlob(digest: String) async throws -> any FillLock
}

/// An open blob.
public protocol BlobHandle: Sendable {
    /// Its size when it was opened.
    var size: Int64 { get }
    /// Reads `range` (all of it when nil) in chunks of about `chunkSize` bytes.
    func chunks(range: ClosedRange<Int64>?, chunkSize: Int) -> ByteChunks
    /// Reads it whole into memory, for small objects only; throws when it is larger than `maxSize`.
    func readAll(maxSize: Int) async throws -> ByteBuffer
}

/// The right to fill one key (or change one blob), across processes sharing a store.
public protocol FillLock: Sendable {
    /// Gives the right up.
    func release()
}
