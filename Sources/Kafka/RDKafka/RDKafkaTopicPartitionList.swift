import CKafka

/// Owns an `rd_kafka_topic_partition_list_t` and converts between it and Swift values.
///
/// C calls go through ``withPointer(_:)``, which keeps the owner alive for the whole call (Swift
/// may otherwise free an object right after the last read of its pointer property).
final class RDKafkaTopicPartitionList {
    private let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    func withPointer<R>(_ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> R) -> R {
        withExtendedLifetime(self) { body(pointer) }
    }

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    /// Adopts a list librdkafka handed over to the caller (e.g. from `rd_kafka_assignment`).
    init(adopting pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    convenience init(_ partitions: some Collection<TopicPartition>, offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) {
        self.init(capacity: partitions.count)
        for tp in partitions { add(tp, offset: offset) }
    }

    convenience init(offsets: [TopicPartition: Int64]) {
        self.init(capacity: offsets.count)
        for (tp, offset) in offsets { add(tp, offset: offset) }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    func add(_ tp: TopicPartition, offset: Int64) {
        withPointer { pointer in
            let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)
            element?.pointee.offset = offset
        }
    }

    var entries: [Entry] { withPointer { Self.entries(of: $0) } }

    struct Entry {
        var topicPartition: TopicPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
    }

    /// Reads a list librdkafka lends to a callback without taking ownership.
    static func entries(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elems = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elems[index]
            return Entry(
                topicPartition: TopicPartition(String(cString: element.topic), element.partition),
                offset: element.offset, error: element.err
            )
        }
    }

    /// Sets the start offset of listed partitions found in `offsets` (librdkafka-owned list).
    static func setOffsets(
        _ offsets: [TopicPartition: Int64], in list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let count = Int(list.pointee.cnt)
        guard count > 0, !offsets.isEmpty, let elems = list.pointee.elems else { return }
        for index in 0..<count {
            let tp = TopicPartition(String(cString: elems[index].topic), elems[index].partition)
            if let offset = offsets[tp] { elems[index].offset = offset }
        }
    }
}
