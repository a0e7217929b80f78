import LarderCore
import NIOCore
import Synchronization
import Testing

@Suite("In-flight window")
struct InFlightWindowTests {
    @Test("a stream stops reading ahead while its unsent chunks reach the limit, and resumes when they are released")
    func boundsLiveChunks() async throws {
        let produced = Mutex(0)
        let source = ByteChunks(length: nil) {
            return {
                let n = produced.withLock { count -> Int in
                    count += 1
                    return count
                }
                return n <= 10 ? ByteBuffer(repeating: 0, count: 1 << 20) : nil
            }
        }
        let limited = source.limitingInFlight(to: 3 << 20)
        var iterator = limited.makeAsyncIterator()
        // The consumer (standing in for a socket that has not sent anything) keeps three chunks.
        var held: [ByteBuffer] = []
        for _ in 0..<3 { held.append(try #require(try await iterator.next())) }
        #expect(produced.withLock { $0 } == 3)

        let next = Task { [iterator] in
            var iterator = iterator
            return try await iterator.next()?.readableBytes
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(produced.withLock { $0 } == 3, "read ahead while 3 MiB were still unsent")

        held.removeAll()  // sent: the storage is released
        #expect(try await next.value == 1 << 20)
        #expect(produced.withLock { $0 } == 4)
    }
}
