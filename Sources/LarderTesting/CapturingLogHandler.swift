public import Logging
import Synchronization

/// A log handler that keeps records for tests to inspect.
public final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    /// One record.
    public struct Record: Sendable {
        /// Its level.
        public var level: Logger.Level
        /// Its message.
        public var message: String
        /// Its metadata, rendered.
        public var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    /// An empty handler.
    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        records.withLock { $0.append(Record(level: event.level, message: event.message.description, metadata: merged)) }
    }

    /// The records so far.
    public var all: [Record] { records.withLock { $0 } }
}
