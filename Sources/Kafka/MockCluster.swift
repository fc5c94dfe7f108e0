import CKafka
import Logging
import Synchronization

/// An in-process Kafka cluster (librdkafka's mock brokers) listening on loopback TCP.
///
/// Real clients, kcat included, connect to ``bootstrapServers`` as to any cluster. Tests and the
/// `dev`/`bench` tooling use it to run without a broker and to inject faults: brokers going
/// down, request errors, latency. The mock keeps only about 5 MB per partition, so bulk tests
/// spread data over enough partitions.
public final class MockCluster: Sendable {
    /// Kafka protocol API keys, for ``MockCluster/pushRequestErrors(apiKey:errors:)``.
    public enum APIKey: Int16, Sendable, CaseIterable {
        /// Produce requests.
        case produce = 0
        /// Fetch requests.
        case fetch = 1
        /// ListOffsets requests (watermarks, offset resets).
        case listOffsets = 2
        /// Metadata requests.
        case metadata = 3
        /// OffsetCommit requests.
        case offsetCommit = 8
        /// OffsetFetch requests (committed offsets).
        case offsetFetch = 9
        /// FindCoordinator requests.
        case findCoordinator = 10
        /// JoinGroup requests.
        case joinGroup = 11
        /// Heartbeat requests.
        case heartbeat = 12
        /// LeaveGroup requests.
        case leaveGroup = 13
        /// SyncGroup requests.
        case syncGroup = 14
        /// InitProducerId requests (idempotent producer start-up).
        case initProducerID = 22
    }

    private let client: RDKafkaClient
    private let cluster: Mutex<OpaquePointer?>

    /// Held while a mock cluster of this process binds listening sockets: as it starts, and as a
    /// broker goes down, when librdkafka closes the broker's listener and binds its port again at
    /// once, aborting the process if that fails. Another cluster starting in that moment could be
    /// given the port (LRK-17).
    private static let listenerBinding = Mutex(())

    /// The comma-separated `host:port` list of the mock brokers.
    public let bootstrapServers: String

    /// Client properties for talking to the mock fast, for tools that run the worker on it (`dev`,
    /// `bench e2e`); not needed, and not meant, for a real cluster (LRK-12; the measurements are in
    /// docs/decisions/0011-mock-cluster-client-settings.md):
    /// - `max.in.flight=2`: with more requests in flight the mock answers small produce requests
    ///   one at a time, and a producer stalls with an idle CPU; with 2, requests fill up.
    /// - `fetch.wait.max.ms=5`: the mock answers a fetch that finds no data only after this wait
    ///   (a real broker answers as soon as data arrives), so a longer wait becomes latency.
    public static let clientProperties: [String: String] = ["max.in.flight": "2", "fetch.wait.max.ms": "5"]

    /// A configuration for clients of a mock cluster at `bootstrapServers`, with ``clientProperties``.
    public static func configuration(_ bootstrapServers: String) -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: bootstrapServers, properties: clientProperties)
    }

    /// Starts a mock cluster of `brokers` brokers (ids 1…brokers).
    public init(brokers: Int = 1, logger: Logger = Logger(label: "kafka.mock")) throws(KafkaError) {
        let (_, errors) = AsyncStream.makeStream(of: KafkaError.self)
        let context = RDKafkaCallbackContext(logger: logger, bootstrapServers: "", errors: errors)
        // A producer handle only hosts the mock cluster's threads; it never produces. Without
        // bootstrap servers librdkafka logs a notice ("No `bootstrap.servers` configured") on
        // every start; warnings and errors of the mock still come through.
        let client = try RDKafkaClient(kind: .producer, properties: ["log_level": "4"], context: context)
        let created = Self.listenerBinding.withLock { _ in rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) }
        guard let cluster = created else {
            client.destroy()
            throw .clientCreationFailed(reason: "rd_kafka_mock_cluster_new(\(brokers) brokers) failed")
        }
        // librdkafka 2.0.2's mock answers Metadata up to version 2, which has no
        // AllowAutoTopicCreation field, and then creates every unknown topic a client merely asks
        // about (with 4 partitions), consumers included. Version 4 carries the client's
        // `allow.auto.create.topics`, and the mock honours it: like a broker with
        // `auto.create.topics.enable=true`, it creates topics for producers (whose default is
        // true) and answers UNKNOWN_TOPIC_OR_PART to consumers, so a missing topic stays missing
        // (LRK-15).
        let metadataVersion = rd_kafka_mock_set_apiversion(cluster, Int16(APIKey.metadata.rawValue), 0, 4)
        guard metadataVersion == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_mock_cluster_destroy(cluster)
            client.destroy()
            throw .operation("mock Metadata versions", metadataVersion)
        }
        self.client = client
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.cluster = Mutex(cluster)
        // Before any client connects, so every connection answers without Nagle's delay (LRK-11).
        MockListenerSockets.disableNagle(ports: MockListenerSockets.ports(bootstrapServers: bootstrapServers))
    }

    deinit {
        close()
    }

    /// Stops the brokers and frees the cluster; clients still connected see transport errors.
    public func close() {
        let cluster = self.cluster.withLock { cluster in
            defer { cluster = nil }
            return cluster
        }
        if let cluster { rd_kafka_mock_cluster_destroy(cluster) }
        client.destroy()
    }

    private func withCluster(_ operation: String, _ body: (OpaquePointer) -> rd_kafka_resp_err_t) throws(KafkaError) {
        let err = cluster.withLock { cluster -> rd_kafka_resp_err_t? in
            guard let cluster else { return nil }
            return body(cluster)
        }
        guard let err else { throw .closed(operation: operation) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw .operation(operation, err) }
    }

    /// Creates `name` with `partitions` partitions.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        try withCluster("mock create topic '\(name)'") {
            rd_kafka_mock_topic_create($0, name, Int32(partitions), Int32(replicationFactor))
        }
    }

    /// Takes broker `id` down: connections close and new ones are refused until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try Self.listenerBinding.withLock { _ throws(KafkaError) in
            try withCluster("mock broker \(id) down") { rd_kafka_mock_broker_set_down($0, id) }
        }
    }

    /// Brings broker `id` back up.
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try withCluster("mock broker \(id) up") { rd_kafka_mock_broker_set_up($0, id) }
        // The broker listens on the socket it bound as it went down, not on the one `init` set
        // up (LRK-11, LRK-17).
        MockListenerSockets.disableNagle(ports: MockListenerSockets.ports(bootstrapServers: bootstrapServers))
    }

    /// Makes the next `errors.count` requests of `apiKey` (to any broker) fail with these codes,
    /// in order.
    public func pushRequestErrors(apiKey: APIKey, errors: [KafkaErrorCode]) throws(KafkaError) {
        let codes = errors.map(\.rdKafka)
        try withCluster("mock push request errors") { cluster in
            codes.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(cluster, apiKey.rawValue, buffer.count, buffer.baseAddress)
            }
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }
}
