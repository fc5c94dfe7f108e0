import ContactStore
import Kafka
import Logging

/// Publishes outbox rows with the idempotent producer, awaits every delivery report, then marks
/// the rows published.
///
/// The outbox is what makes events and results at-least-once: rows are written in the same
/// transaction as the state change, and removed only after Kafka acknowledged them. A crash in
/// between re-publishes them on the next start (same bytes, same event ids).
public struct OutboxPublisher: Sendable {
    let store: any ContactStore
    let producer: KafkaProducer
    let logger: Logger

    public init(store: any ContactStore, producer: KafkaProducer, logger: Logger) {
        self.store = store
        self.producer = producer
        self.logger = logger
    }

    /// Publishes `rows` (in order; each must carry its ``OutboxMessage/sequence``) and marks them
    /// published. Throws the first delivery error; nothing is marked then, so the rows are
    /// published again later (duplicates keep their ids).
    public func publish(_ rows: [OutboxMessage]) async throws {
        guard !rows.isEmpty else { return }
        let messages = rows.map { row in
            KafkaOutgoingMessage(
                topic: row.topic, key: row.key, value: row.value,
                headers: row.headers.map { KafkaHeader(name: $0.name, value: $0.value) })
        }
        // `send(batch:)` reports a record that was not delivered in its report instead of
        // throwing: a row whose delivery failed must stay pending, so nothing is marked then.
        for report in try await producer.send(batch: messages) {
            _ = try report.get()
        }
        try await store.markPublished(sequences: rows.compactMap(\.sequence))
    }

    /// Publishes everything pending, oldest first, until nothing is left; returns how many rows.
    public func drain(pageSize: Int = 5_000) async throws -> Int {
        var total = 0
        while true {
            let rows = try await store.pendingOutbox(limit: pageSize)
            if rows.isEmpty { return total }
            try await publish(rows)
            total += rows.count
        }
    }
}
