import ContactWorkerTestSupport
import Foundation
@testable import Kafka
import Testing

@Suite("KafkaProducer against a mock cluster")
struct KafkaProducerTests {
    @Test("a message with key, headers and timestamp reads back exactly")
    func roundTripsKeyHeadersAndTimestamp() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("roundtrip")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestSupport.producer(cluster)
        let headers = [
            KafkaHeader(name: "authorization", string: "Bearer abc"),
            KafkaHeader(name: "correlation-id", string: "c-1"),
            KafkaHeader(name: "empty", value: nil),
        ]
        let report = try await producer.send(
            KafkaOutgoingMessage(
                topic: topic, key: Array("contact-1".utf8), value: [0, 1, 2, 255], headers: headers,
                timestampMilliseconds: 1_704_897_000_123
            ))
        #expect(report.partition == 0)
        #expect(report.offset == 0)
        await producer.shutdown()

        let consumer = try TestSupport.consumer(cluster, group: nil)
        try await consumer.assign([TopicPartition(topic, 0): .beginning])
        let messages = try await TestSupport.collect(consumer, count: 1)
        await consumer.close()
        let message = try #require(messages.first)
        #expect(message.topic == topic)
        #expect(message.key == Array("contact-1".utf8))
        #expect(message.value == [0, 1, 2, 255])
        #expect(message.headers == headers)
        #expect(message.header(named: "correlation-id")?.stringValue == "c-1")
        #expect(message.timestamp == KafkaTimestamp(milliseconds: 1_704_897_000_123, kind: .createTime))
    }

    @Test("records with and without keys, values and headers read back exactly, each with its own bytes")
    func roundTripsMixedRecords() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("mixed")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestSupport.producer(cluster)
        let sent = (0..<50).map { index in
            KafkaOutgoingMessage(
                topic: topic, key: index % 3 == 0 ? nil : Array("k\(index)".utf8),
                value: index % 5 == 0 ? [] : Array(repeating: UInt8(index), count: index * 7),
                headers: index % 2 == 0
                    ? []
                    : [
                        KafkaHeader(name: "n\(index)", value: index % 4 == 1 ? nil : [UInt8(index)]),
                        KafkaHeader(name: "empty", value: []),
                    ])
        }
        let reports = try await producer.send(batch: sent)
        #expect(reports.allSatisfy { $0.isDelivered })
        await producer.shutdown()

        let consumer = try TestSupport.consumer(cluster, group: nil)
        try await consumer.assign([TopicPartition(topic, 0): .beginning])
        let messages = try await TestSupport.collect(consumer, count: sent.count)
        await consumer.close()
        #expect(messages.map(\.offset) == Array(0..<50))
        #expect(messages.map(\.key) == sent.map(\.key))
        #expect(messages.map(\.value) == sent.map(\.value))
        #expect(messages.map(\.headers) == sent.map(\.headers))
        #expect(messages.map { $0.header(named: "empty") } == sent.map { $0.headers.isEmpty ? nil : $0.headers[1] })
    }

    @Test("a batch of 1,000 returns 1,000 reports in order with increasing offsets per partition")
    func batchReportsInOrder() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("batch")
        try cluster.createTopic(topic, partitions: 4)
        let producer = try TestSupport.producer(cluster)
        let messages = (0..<1_000).map { index in
            KafkaOutgoingMessage(topic: topic, key: "key-\(index % 37)", value: "value-\(index)")
        }
        let reports = try await producer.send(batch: messages)
        await producer.shutdown()
        #expect(reports.count == 1_000)
        #expect(reports.allSatisfy { $0.isDelivered })
        var lastOffset: [Int32: Int64] = [:]
        for report in reports {
            let offset = try #require(report.offset)
            #expect(offset > lastOffset[report.partition, default: -1])
            lastOffset[report.partition] = offset
        }
        #expect(Set(reports.map(\.partition)).count > 1)
    }

    @Test("a send waits while the broker is down and completes once it is back")
    func deliversAfterBrokerComesBack() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("down-up")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestSupport.producer(cluster)
        // Warm up so the producer knows the partition leader.
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "first"))
        try cluster.setBrokerDown(1)
        let sending = Task { try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "second")) }
        try await Task.sleep(for: .seconds(1))
        try cluster.setBrokerUp(1)
        let report = try await within(15, "delivery after broker up") { try await sending.value }
        #expect(report.offset == 1)
        await producer.shutdown()
    }

    @Test("with the broker down past message.timeout.ms, send throws a typed timeout error")
    func throwsTypedErrorOnTimeout() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("timeout")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestSupport.producer(cluster) { $0.messageTimeoutMilliseconds = 1_500 }
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "first"))
        try cluster.setBrokerDown(1)
        do {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "lost"))
            Issue.record("send succeeded while the broker was down")
        } catch let error as KafkaError {
            #expect(error.code == .messageTimedOut)
            #expect(error.isRetriable)
            #expect(!error.isFatal)
            #expect(error.description.contains(topic))
        }
        try cluster.setBrokerUp(1)
        await producer.shutdown()
    }

    @Test("a retriable Produce error injected by the mock is retried and the send succeeds")
    func retriesInjectedProduceErrors() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("inject")
        try cluster.createTopic(topic, partitions: 1)
        // A producer that may not retry (idempotence requires retries) meets the injected error:
        // the injection reaches the producer, so the send below can only succeed by retrying.
        let noRetries = try TestSupport.producer(cluster) {
            $0.set("enable.idempotence", "false")
            $0.set("message.send.max.retries", "0")
        }
        try cluster.pushRequestErrors(apiKey: .produce, errors: [.notEnoughReplicas])
        do {
            _ = try await noRetries.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "unretried"))
            Issue.record("the send succeeded although its only Produce request was refused")
        } catch let error as KafkaError {
            #expect(error.code == .notEnoughReplicas)
            #expect(error.isRetriable)
        }

        let producer = try TestSupport.producer(cluster)
        try cluster.pushRequestErrors(apiKey: .produce, errors: [.notEnoughReplicas, .leaderNotAvailable])
        let report = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "v"))
        #expect(report.isDelivered)
        await producer.shutdown()

        // The retries used up both injected errors: the next Produce request is not refused.
        let after = try await noRetries.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "after"))
        #expect(after.isDelivered)
        await noRetries.shutdown()
    }

    @Test(
        "an injected error the producer cannot retry reaches the sender (the injection the fault tests rely on works)")
    func injectedPermanentErrorFailsTheSend() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("inject-fail")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestSupport.producer(cluster)
        try cluster.pushRequestErrors(apiKey: .produce, errors: [.topicAuthorizationFailed])
        do {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: "v"))
            Issue.record("the send succeeded although its Produce request was refused")
        } catch let error as KafkaError {
            guard case .deliveryFailed = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(error.code == .topicAuthorizationFailed)
        }
        await producer.shutdown()
    }

    @Test("records after one librdkafka refuses to take are not sent: a batch reaches the topic without a gap")
    func batchStopsAtTheFirstRefusedRecord() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("refused")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestSupport.producer(cluster) { $0.set("message.max.bytes", "10000") }
        let messages = [
            KafkaOutgoingMessage(topic: topic, key: "k", value: "first"),
            KafkaOutgoingMessage(topic: topic, key: "k", value: String(repeating: "x", count: 20_000)),
            KafkaOutgoingMessage(topic: topic, key: "k", value: "third"),
        ]
        let reports = try await producer.send(batch: messages)
        await producer.shutdown()
        #expect(reports.map(\.isDelivered) == [true, false, false])
        #expect(reports[1].error?.code == .messageSizeTooLarge, "\(String(describing: reports[1].error))")
        #expect(reports[2].error?.code == .messageSizeTooLarge)
        let reader = try TestSupport.consumer(cluster, group: nil)
        #expect(try await reader.watermarks(topic: topic, partition: 0).high == 1)
        await reader.close()
    }

    @Test("a producer reads any topic's watermarks, including one it never wrote to, and not once shut down")
    func producerReadsWatermarks() async throws {
        let cluster = try MockCluster()
        let (written, other) = (TestSupport.unique("marks"), TestSupport.unique("marks-other"))
        try cluster.createTopic(written, partitions: 2)
        try cluster.createTopic(other, partitions: 1)
        let producer = try TestSupport.producer(cluster)
        let reports = try await producer.send(
            batch: (0..<3).map { KafkaOutgoingMessage(topic: written, partition: 1, key: "k", value: "v\($0)") })
        #expect(reports.allSatisfy { $0.isDelivered })
        #expect(try await producer.watermarks(topic: written, partition: 1) == (low: 0, high: 3))
        #expect(try await producer.watermarks(topic: written, partition: 0) == (low: 0, high: 0))
        #expect(try await producer.watermarks(topic: other, partition: 0) == (low: 0, high: 0))
        await producer.shutdown()
        await #expect(throws: KafkaError.closed(operation: "watermarks")) {
            _ = try await producer.watermarks(topic: written, partition: 1)
        }
    }

    @Test(
        "a Produce request refused for good stops every later record of the batch's keys: nothing overtakes the refused one"
    )
    func keyOrderedSendStopsBehindARefusal() async throws {
        let cluster = try MockCluster()
        let topic = TestSupport.unique("key-ordered")
        try cluster.createTopic(topic, partitions: 1)
        // One record per Produce request, so the refusal hits one record while requests behind it
        // carry later ones (as happens once a batch outgrows one request).
        let producer = try TestSupport.producer(cluster) { $0.set("batch.num.messages", "1") }
        let keys = ["a", "b", "c"]
        let messages = (0..<3).flatMap { step in
            keys.map { KafkaOutgoingMessage(topic: topic, key: $0, value: "\($0)\(step)") }
        }
        // The first request (a0) is refused for good: librdkafka does not retry MSG_SIZE_TOO_LARGE.
        try cluster.pushRequestErrors(apiKey: .produce, errors: [.messageSizeTooLarge])
        let first = try await producer.send(keyOrdered: messages)
        #expect(first.map(\.isDelivered) == [false, true, true, false, false, false, false, false, false])
        #expect(first.allSatisfy { $0.isDelivered || $0.error?.code == .messageSizeTooLarge })
        // Sent again, the batch goes through; duplicates of what was delivered keep their place.
        let second = try await producer.send(keyOrdered: messages)
        #expect(second.allSatisfy { $0.isDelivered })
        await producer.shutdown()

        let reader = try TestSupport.consumer(cluster, group: nil)
        try await reader.assign([TopicPartition(topic, 0): .beginning])
        let written = try await TestSupport.collect(reader, count: 11).map { String(decoding: $0.value, as: UTF8.self) }
        #expect(try await reader.watermarks(topic: topic, partition: 0).high == 11)
        await reader.close()
        // Only b0 and c0 were written by the first send; each key's first copies are in order.
        #expect(Array(written.prefix(2)) == ["b0", "c0"])
        for key in keys {
            var seen: Set<String> = []
            let firstCopies = written.filter { $0.hasPrefix(key) && seen.insert($0).inserted }
            #expect(firstCopies == ["\(key)0", "\(key)1", "\(key)2"])
        }
    }

    @Test(
        "records of a batch are sent in rounds holding at most one record per topic and key; keyless records go first")
    func keyOrderRounds() {
        let messages = [
            KafkaOutgoingMessage(topic: "t", key: "a", value: "a0"),
            KafkaOutgoingMessage(topic: "t", key: "a", value: "a1"),
            KafkaOutgoingMessage(topic: "u", key: "a", value: "a0 on u"),
            KafkaOutgoingMessage(topic: "t", key: nil, value: "n0"),
            KafkaOutgoingMessage(topic: "t", key: "b", value: "b0"),
            KafkaOutgoingMessage(topic: "t", key: "a", value: "a2"),
            KafkaOutgoingMessage(topic: "t", key: nil, value: "n1"),
            KafkaOutgoingMessage(topic: "t", key: "b", value: "b1"),
        ]
        #expect(KafkaKeyOrder.rounds(messages) == [[0, 2, 3, 4, 6], [1, 7], [5]])
        #expect(KafkaKeyOrder.rounds([]).isEmpty)
    }

    @Test("a rejected property fails creation naming the key")
    func invalidConfigurationNamesKey() throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.set("linger.ms", "not-a-number")
        #expect(throws: KafkaError.self) { _ = try KafkaProducer(configuration: configuration) }
        do {
            _ = try KafkaProducer(configuration: configuration)
        } catch {
            guard case .invalidConfiguration(let key, let value, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(key == "linger.ms")
            #expect(value == "not-a-number")
        }
    }
}
