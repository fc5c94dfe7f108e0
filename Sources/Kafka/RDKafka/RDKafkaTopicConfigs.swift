import CKafka

/// Blocking DescribeConfigs of topics through librdkafka's Admin API (call off the cooperative
/// pool). The request goes to the cluster's controller; a broker that does not implement
/// DescribeConfigs, or a cluster that names no controller (librdkafka 2.0.2's mock cluster),
/// makes it fail with that error or time out.
enum RDKafkaTopicConfigs {
    /// The configuration values (`retention.ms`, …) of each of `topics` the controller described;
    /// topics it reported an error for (one that does not exist) are left out.
    static func describe(
        _ rk: OpaquePointer, topics: [String], timeoutMilliseconds: Int32
    ) -> Result<[String: [String: String]], KafkaError> {
        let operation = "describe the configuration of topics \(topics.joined(separator: ", "))"
        guard !topics.isEmpty else { return .success([:]) }
        guard let queue = rd_kafka_queue_new(rk) else {
            return .failure(.operation(operation, RD_KAFKA_RESP_ERR__FAIL))
        }
        defer { rd_kafka_queue_destroy(queue) }
        var resources: [OpaquePointer?] = topics.map { rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, $0) }
        defer { for resource in resources { if let resource { rd_kafka_ConfigResource_destroy(resource) } } }
        guard let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS) else {
            return .failure(.operation(operation, RD_KAFKA_RESP_ERR__FAIL))
        }
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
        resources.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_DescribeConfigs(rk, buffer.baseAddress, buffer.count, options, queue)
        }
        // The request timeout bounds the operation; the margin only covers handing back its result.
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1_000) else {
            return .failure(.operation(operation, RD_KAFKA_RESP_ERR__TIMED_OUT))
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let reason = rd_kafka_event_error_string(event).map { String(cString: $0) }
            return .failure(.operation(operation, err, reason: reason))
        }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else {
            return .failure(.operation(operation, RD_KAFKA_RESP_ERR__BAD_MSG))
        }
        var count = 0
        guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count) else { return .success([:]) }
        var configurations: [String: [String: String]] = [:]
        for index in 0..<count {
            guard let resource = described[index],
                rd_kafka_ConfigResource_error(resource) == RD_KAFKA_RESP_ERR_NO_ERROR
            else { continue }
            let topic = String(cString: rd_kafka_ConfigResource_name(resource))
            var entryCount = 0
            var values: [String: String] = [:]
            if let entries = rd_kafka_ConfigResource_configs(resource, &entryCount) {
                for entryIndex in 0..<entryCount {
                    guard let entry = entries[entryIndex], let value = rd_kafka_ConfigEntry_value(entry) else {
                        continue
                    }
                    values[String(cString: rd_kafka_ConfigEntry_name(entry))] = String(cString: value)
                }
            }
            configurations[topic] = values
        }
        return .success(configurations)
    }
}
