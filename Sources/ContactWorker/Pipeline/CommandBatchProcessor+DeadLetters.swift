import ContactStore
import Kafka

/// Dead letters: what goes to the dead-letter topic for a message the worker cannot process.
extension CommandBatchProcessor {
    /// The largest value a dead letter carries whole. Larger values (only oversized messages
    /// reach this) are cut to this size: the producer's `message.max.bytes` (1,000,000 by default)
    /// would reject the whole value for ever, and a dead letter that cannot be published would
    /// stall its partition.
    public static let deadLetterValueLimit = 512 * 1024

    /// The most bytes of original headers (names and values) a dead letter carries, for the same
    /// reason as ``deadLetterValueLimit``: together they stay under the producer's limit.
    public static let deadLetterHeadersLimit = 256 * 1024

    /// The most bytes of the original key a dead letter carries, likewise (512 + 256 + 128 KiB
    /// plus the worker's own headers stay under librdkafka's default 1,000,000 bytes).
    public static let deadLetterKeyLimit = 128 * 1024

    /// The original key, value and headers, plus where it came from and why (docs/contract.md §8). A value
    /// over ``deadLetterValueLimit`` is truncated and `x-original-value-bytes` gives its size;
    /// headers past ``deadLetterHeadersLimit`` are left out and `x-original-headers-bytes` gives
    /// their total; a key over ``deadLetterKeyLimit`` is cut and `x-original-key-bytes` gives its
    /// size. Like results and events, it is left to the owner of the message's partition.
    func deadLetter(_ message: KafkaMessage, reason: String) -> OutboxMessage {
        var headers: [(name: String, value: [UInt8])] = []
        var headerBytes = 0
        let totalHeaderBytes = message.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
        for header in message.headers {
            headerBytes += header.name.utf8.count + (header.value?.count ?? 0)
            guard headerBytes <= Self.deadLetterHeadersLimit else { break }
            headers.append((name: header.name, value: header.value ?? []))
        }
        if totalHeaderBytes > Self.deadLetterHeadersLimit {
            headers.append((name: "x-original-headers-bytes", value: Array(String(totalHeaderBytes).utf8)))
        }
        var value = message.value
        if value.count > Self.deadLetterValueLimit {
            value = Array(value.prefix(Self.deadLetterValueLimit))
            headers.append((name: "x-original-value-bytes", value: Array(String(message.value.count).utf8)))
        }
        var key = message.key
        if let original = key, original.count > Self.deadLetterKeyLimit {
            key = Array(original.prefix(Self.deadLetterKeyLimit))
            headers.append((name: "x-original-key-bytes", value: Array(String(original.count).utf8)))
        }
        headers.append((name: "x-error-reason", value: Array(reason.utf8)))
        headers.append((name: "x-original-topic", value: Array(message.topic.utf8)))
        headers.append((name: "x-original-partition", value: Array(String(message.partition).utf8)))
        headers.append((name: "x-original-offset", value: Array(String(message.offset).utf8)))
        if let timestamp = message.timestamp {
            headers.append((name: "x-original-timestamp", value: Array(String(timestamp.milliseconds).utf8)))
        }
        return OutboxMessage(
            topic: context.topics.deadLetters, key: key, value: value, headers: headers, contactID: nil,
            sourcePartition: message.partition)
    }
}
