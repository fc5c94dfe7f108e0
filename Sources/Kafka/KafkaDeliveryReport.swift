/// The broker's answer for one produced record: where it landed, or why it did not.
public struct KafkaDeliveryReport: Hashable, Sendable {
    /// The topic the record was sent to.
    public var topic: String
    /// The partition it was written to (or targeted, when delivery failed; -1 if never assigned).
    public var partition: Int32
    /// Its offset in the partition, or nil when delivery failed.
    public var offset: Int64?
    /// Why delivery failed, or nil when the record was written.
    public var error: KafkaError?

    /// A report; `error == nil` means delivered.
    public init(topic: String, partition: Int32, offset: Int64?, error: KafkaError? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.error = error
    }

    /// True when the broker acknowledged the record.
    public var isDelivered: Bool { error == nil }

    /// Returns the report when delivered, throws its error otherwise.
    public func get() throws(KafkaError) -> KafkaDeliveryReport {
        if let error { throw error }
        return self
    }
}
