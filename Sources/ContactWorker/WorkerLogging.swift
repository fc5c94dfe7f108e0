import Foundation
import Logging

/// Sets up swift-log for the process: readable lines on stderr, or one JSON object per line.
public enum WorkerLogging {
    /// Bootstraps the logging system once and returns the worker's logger.
    public static func bootstrap(format: String, level: String) -> Logger {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == "json" ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        return Logger(label: "contact-worker")
    }
}

/// One JSON object per log line, for log shippers.
///
/// Hand-written because swift-log ships no JSON handler and the pre-mirrored packages offer none;
/// it is a few lines of formatting on top of Foundation's `JSONSerialization`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": ISO8601DateFormatter().string(from: Date()),
            "level": "\(event.level)",
            "label": label,
            "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = "\(value)"
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}
