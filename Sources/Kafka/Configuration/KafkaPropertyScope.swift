/// Which kind of client a librdkafka property belongs to, for properties that only one kind accepts.
///
/// The worker reads one set of `KAFKA_*` properties for its producer and its consumer alike, and
/// librdkafka logs a configuration warning for every property of the other kind. The lists are
/// written out by hand from librdkafka's CONFIGURATION.md (the properties marked `C` or `P`)
/// because librdkafka has no API that says which kind a property is for; a property missing here
/// still works, it only keeps its warning.
enum KafkaPropertyScope {
    /// Properties only consumers accept.
    static let consumerOnly: Set<String> = [
        "group.id", "group.instance.id", "partition.assignment.strategy", "session.timeout.ms",
        "heartbeat.interval.ms", "group.protocol.type", "coordinator.query.interval.ms", "max.poll.interval.ms",
        "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store", "queued.min.messages",
        "queued.max.messages.kbytes", "fetch.wait.max.ms", "fetch.message.max.bytes", "max.partition.fetch.bytes",
        "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms", "offset.store.method", "isolation.level",
        "enable.partition.eof", "check.crcs", "auto.offset.reset", "consume.callback.max.messages",
    ]

    /// Properties only producers accept.
    static let producerOnly: Set<String> = [
        "transactional.id", "transaction.timeout.ms", "enable.idempotence", "enable.gapless.guarantee",
        "queue.buffering.max.messages", "queue.buffering.max.kbytes", "queue.buffering.max.ms", "linger.ms",
        "message.send.max.retries", "retries", "queue.buffering.backpressure.threshold", "compression.codec",
        "compression.type", "compression.level", "batch.num.messages", "batch.size", "delivery.report.only.error",
        "sticky.partitioning.linger.ms", "request.required.acks", "acks", "request.timeout.ms", "message.timeout.ms",
        "delivery.timeout.ms", "queuing.strategy", "produce.offset.report", "partitioner",
    ]
}
