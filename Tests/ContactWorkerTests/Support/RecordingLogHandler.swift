import Logging
import Synchronization

/// A log handler that keeps every record, so tests can assert on exact log lines.
struct RecordingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// The records of every handler made from one ``Records``.
    final class Records: Sendable {
        private let records = Mutex<[Record]>([])

        var all: [Record] { records.withLock { $0 } }

        func append(_ record: Record) { records.withLock { $0.append(record) } }

        /// A logger writing into these records at `level`.
        func logger(level: Logger.Level) -> Logger {
            var logger = Logger(label: "recorded") { _ in RecordingLogHandler(records: self) }
            logger.logLevel = level
            return logger
        }
    }

    let records: Records
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        records.append(
            Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
