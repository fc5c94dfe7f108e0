import CKafka

/// Converts ``KafkaHeader`` values to and from librdkafka's `rd_kafka_headers_t`.
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

    /// The headers of a consumed message, in wire order.
    static func read(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        let count = rd_kafka_header_cnt(list)
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(count)
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var index = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let headerName = name.map { String(cString: $0) } ?? ""
            let bytes = value.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) }
            headers.append(KafkaHeader(name: headerName, value: bytes))
            index += 1
        }
        return headers
    }
}
