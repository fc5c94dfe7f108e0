import CKafka

/// Converts ``KafkaHeader`` values to librdkafka's `rd_kafka_headers_t` (consumed headers are
/// read by ``RDKafkaMessageReader``).
enum RDKafkaHeaders {
    /// A new header list (caller owns it until librdkafka accepts it with the message), or nil
    /// when there are no headers.
    static func make(_ headers: [KafkaHeader]) -> OpaquePointer? {
        guard !headers.isEmpty, let list = rd_kafka_headers_new(headers.count) else { return nil }
        for header in headers {
            // The name goes by pointer and length: passing the `String` as a C string would copy
            // a small (inline) name into a new array for every header of every message. It ends
            // at its first NUL, as a C string would, and as the consumer reads names back.
            var name = header.name
            name.withUTF8 { name in
                let length = name.firstIndex(of: 0) ?? name.count
                name.withMemoryRebound(to: CChar.self) { name in
                    if let value = header.value {
                        value.withUnsafeBytes { bytes in
                            _ = rd_kafka_header_add(list, name.baseAddress, length, bytes.baseAddress, bytes.count)
                        }
                    } else {
                        _ = rd_kafka_header_add(list, name.baseAddress, length, nil, 0)
                    }
                }
            }
        }
        return list
    }
}
