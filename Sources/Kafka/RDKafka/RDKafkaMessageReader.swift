import CKafka

/// Copies the `rd_kafka_message_t`s of one poll into ``KafkaMessage`` values: the key, value and
/// header bytes of all of them go into one ``KafkaMessageStorage``, and topic names are interned
/// per `rd_kafka_topic_t` so no String is allocated per message. The storages' arrays are reused
/// once the application has released their messages (``KafkaMessageStorage/Recycler``).
///
/// Used only by the consumer's poll thread, so the cache needs no lock.
struct RDKafkaMessageReader {
    private var lastTopicHandle: OpaquePointer?
    private var lastTopicName = ""
    private var topicNames: [OpaquePointer: String] = [:]
    /// The most header bytes (names and values) per message of a recent poll: the storage is
    /// sized for them, and a quarter more, up front, so it is not copied to grow while headers
    /// are read.
    private var headerBytesPerMessage = 0
    private let recycler = KafkaMessageStorage.Recycler()

    mutating func topicName(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if rkt == lastTopicHandle { return lastTopicName }
        let name: String
        if let cached = topicNames[rkt] {
            name = cached
        } else {
            name = String(cString: rd_kafka_topic_name(rkt))
            topicNames[rkt] = name
        }
        lastTopicHandle = rkt
        lastTopicName = name
        return name
    }

    /// The messages of `messages` that carry no error, in order, sharing one storage; `bytes`
    /// is the sum of their key and value lengths.
    mutating func read(_ messages: [UnsafeMutablePointer<rd_kafka_message_t>], bytes: Int) -> [KafkaMessage] {
        guard !messages.isEmpty else { return [] }
        var builder = KafkaMessageStorage.Builder(
            reservingRecords: messages.count,
            bytes: bytes + messages.count * (headerBytesPerMessage + headerBytesPerMessage / 4),
            reusing: recycler.take())
        for message in messages {
            let m = message.pointee
            let key = m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) }
            let value = UnsafeRawBufferPointer(start: m.payload, count: m.payload == nil ? 0 : m.len)
            builder.beginRecord(topic: topicName(m.rkt), key: key, value: value)
            Self.readHeaders(message, into: &builder)
            builder.endRecord()
        }
        let headerBytes = (builder.bytes.count - bytes) / messages.count
        // Grows at once, shrinks slowly: one poll of messages without headers does not undo it.
        headerBytesPerMessage = max(headerBytes, headerBytesPerMessage - headerBytesPerMessage / 8)
        let storage = KafkaMessageStorage(builder, recycler: recycler)
        var batch: [KafkaMessage] = []
        batch.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            batch.append(
                KafkaMessage(
                    storage: storage, index: index, partition: message.pointee.partition,
                    offset: message.pointee.offset, timestamp: Self.timestamp(message)))
        }
        return batch
    }

    private static func timestamp(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaTimestamp? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &type)
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: return KafkaTimestamp(milliseconds: ms, kind: .createTime)
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: return KafkaTimestamp(milliseconds: ms, kind: .logAppendTime)
        default: return nil
        }
    }

    /// Appends the headers of a consumed message, in wire order, to the record being built.
    private static func readHeaders(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>, into builder: inout KafkaMessageStorage.Builder
    ) {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var index = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            var nameLength = 0
            while let name, name[nameLength] != 0 { nameLength += 1 }
            builder.appendHeader(
                name: UnsafeRawBufferPointer(start: name, count: nameLength),
                value: value.map { UnsafeRawBufferPointer(start: $0, count: size) })
            index += 1
        }
    }
}
