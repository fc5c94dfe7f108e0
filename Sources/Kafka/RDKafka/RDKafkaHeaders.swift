import CKafka

/// Converts ``KafkaHeader`` values to librdkafka's `rd_kafka_headers_t` (consumed headers are
/// read by ``RDKafkaMessageReader``).
enum RDKafkaHeaders {
    /// A new header list (caller owns it until librdkafka accepts it with the message), or nil
    /// when there are no headers.
    static func make(_ headers: [KafkaHeader]) -> OpaquePointer? {
        guard !headers.isEmpty, let list = rd_kafka_headers_new(headers.count) else { return nil }
        for header in headers {
            if let value = header.value {
                value.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(list, header.name, -1, bytes.baseAddress, bytes.count)
                }
            } else {
                _ = rd_kafka_header_add(list, header.name, -1, nil, 0)
            }
        }
        return list
    }
}
