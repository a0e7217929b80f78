import AsyncHTTPClient
public import NIOCore

/// An upstream's answer, with its body still streaming.
public struct UpstreamResponse: Sendable {
    /// The HTTP status.
    public let status: Int
    /// Response headers, in order.
    public let headers: [(String, String)]
    /// The URL that answered, after redirects (relative links in a document resolve against it).
    public let url: String
    /// The body, pulled as it arrives; it can be read once.
    public let body: UpstreamBody

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// A response body arriving from upstream. It can be iterated once; transport errors surface as
/// `LarderError`s naming the upstream.
public struct UpstreamBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let base: HTTPClientResponse.Body
    let url: String

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        let url: String
        public mutating func next() async throws -> ByteBuffer? {
            do {
                return try await base.next()
            } catch {
                throw UpstreamClient.map(error, url: url)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), url: url) }

    /// The whole body, refusing one larger than `limit` bytes.
    public func collect(upTo limit: Int) async throws(LarderError) -> ByteBuffer {
        do {
            return try await base.collect(upTo: limit)
        } catch {
            if error is NIOTooManyBytesError {
                throw LarderError(.upstreamFailed, "upstream \(url) sent more than \(limit) bytes, the most Larder accepts here")
            }
            throw UpstreamClient.map(error, url: url)
        }
    }

    /// Reads and drops a small body so the connection can be reused; a large one is abandoned,
    /// which closes its connection.
    public func discard() async {
        _ = try? await base.collect(upTo: 64 << 10)
    }

    /// The body as a pull-driven chunk sequence of `length` bytes when known.
    public func chunks(length: Int64?) -> ByteChunks {
        let iterator = IteratorBox(makeAsyncIterator())
        return ByteChunks(length: length) { { try await iterator.next() } }
    }
}

/// Makes the one-pass body iterator usable from a `ByteChunks` producer.
private final class IteratorBox: @unchecked Sendable {
    private var base: UpstreamBody.AsyncIterator
    init(_ base: UpstreamBody.AsyncIterator) { self.base = base }
    func next() async throws -> ByteBuffer? { try await base.next() }
}
