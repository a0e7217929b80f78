public import NIOCore

/// A pull-driven sequence of byte buffers: each chunk is produced only when the consumer asks
/// for it, so a slow client slows the reads instead of filling memory.
public struct ByteChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    /// The total length when known in advance.
    public let length: Int64?
    private let makeNext: @Sendable () -> (() async throws -> ByteBuffer?)

    /// Creates a sequence; `makeNext` is called once per iteration and returns the function that
    /// yields the next chunk, or nil at the end.
    public init(length: Int64?, makeNext: @escaping @Sendable () -> (() async throws -> ByteBuffer?)) {
        self.length = length
        self.makeNext = makeNext
    }

    /// A sequence of one buffer.
    public init(_ buffer: ByteBuffer) {
        self.length = Int64(buffer.readableBytes)
        self.makeNext = {
            var pending: ByteBuffer? = buffer
            return {
                defer { pending = nil }
                return pending
            }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let next: () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(next: makeNext()) }
}
