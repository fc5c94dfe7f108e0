/// The consumer's bounded in-memory buffer between the poll thread and the application, as a
/// plain state machine (no I/O, no locks: its owner keeps it behind one lock and acts on what the
/// mutating methods return).
///
/// Messages are kept in the chunks the poll thread read them in, so a batch costs one lock, not
/// one per message. A take joins consecutive chunks up to ``maxBatchSize``: when messages trickle
/// in one by one while the reader is busy, its next batch holds all of them, not just the first
/// (one batch per message would cap a busy worker at one message per store round trip). Crossing
/// ``capacity`` messages or ``capacityBytes`` bytes asks for fetching to pause; draining below half
/// of both asks for it to resume.
struct KafkaConsumerBuffer {
    typealias Waiter = CheckedContinuation<[KafkaMessage]?, Never>

    let capacity: Int
    /// The most key, value and header bytes buffered before fetching pauses.
    let capacityBytes: Int
    /// The most messages one take returns (unless a single chunk is larger).
    let maxBatchSize: Int
    private var chunks: [[KafkaMessage]] = []
    /// The bytes of each chunk's messages (parallel to `chunks`), see ``size(of:)``.
    private var chunkBytes: [Int] = []
    /// The partition events read after each chunk's messages (parallel to `chunks`).
    private var chunkEvents: [[KafkaPartitionEvent]] = []
    /// Events whose preceding messages were all handed out, not yet taken by the reader.
    private var handedOutEvents: [KafkaPartitionEvent] = []
    private var head = 0
    private(set) var count = 0
    /// The bytes of the buffered messages, see ``size(of:)``.
    private(set) var bytes = 0
    /// Whether fetching should currently be paused for flow control.
    private(set) var wantsFlowPause = false
    private var waiter: Waiter?
    private(set) var isFinished = false

    init(capacity: Int, capacityBytes: Int = .max, maxBatchSize: Int) {
        self.capacity = max(capacity, 1)
        self.capacityBytes = max(capacityBytes, 1)
        self.maxBatchSize = max(maxBatchSize, 1)
    }

    /// Adds a chunk read by the poll thread, and the partition events read after its messages.
    /// Returns the waiting reader to resume with it, if any (with no messages when only events
    /// came, so a reader waiting for a partition's end learns of it).
    mutating func append(_ messages: [KafkaMessage], events: [KafkaPartitionEvent] = []) -> (Waiter, [KafkaMessage])? {
        guard !isFinished, !messages.isEmpty || !events.isEmpty else { return nil }
        if let waiter, head == chunks.count {
            self.waiter = nil
            handedOutEvents.append(contentsOf: events)
            return (waiter, messages)
        }
        let size = Self.size(of: messages)
        chunks.append(messages)
        chunkBytes.append(size)
        chunkEvents.append(events)
        count += messages.count
        bytes += size
        if count > capacity || bytes > capacityBytes { wantsFlowPause = true }
        return nil
    }

    enum Take {
        case batch([KafkaMessage])
        case finished
        case wait
    }

    /// Takes the next batch (see ``takeBuffered()``), or registers `waiter` when nothing is buffered.
    /// `resumeFetching` is true when this take drained the buffer below half its capacity.
    mutating func take(waiter: Waiter) -> (take: Take, resumeFetching: Bool) {
        if let (batch, resumeFetching) = takeBuffered() { return (.batch(batch), resumeFetching) }
        if isFinished { return (.finished, false) }
        precondition(self.waiter == nil, "KafkaConsumer.batches supports one reader at a time")
        self.waiter = waiter
        return (.wait, false)
    }

    /// Removes and returns the oldest buffered chunks, joined in order, as long as they fit in
    /// ``maxBatchSize`` (always at least one chunk); nil when nothing is buffered.
    /// `resumeFetching` as in ``take(waiter:)``.
    mutating func takeBuffered() -> (batch: [KafkaMessage], resumeFetching: Bool)? {
        guard head < chunks.count else { return nil }
        var batch = chunks[head]
        var batchBytes = chunkBytes[head]
        handedOutEvents.append(contentsOf: chunkEvents[head])
        chunks[head] = []
        chunkEvents[head] = []
        head += 1
        while head < chunks.count, batch.count + chunks[head].count <= maxBatchSize {
            batch.append(contentsOf: chunks[head])
            batchBytes += chunkBytes[head]
            handedOutEvents.append(contentsOf: chunkEvents[head])
            chunks[head] = []
            chunkEvents[head] = []
            head += 1
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            chunkBytes.removeAll(keepingCapacity: true)
            chunkEvents.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= chunks.count {
            chunks.removeFirst(head)
            chunkBytes.removeFirst(head)
            chunkEvents.removeFirst(head)
            head = 0
        }
        count -= batch.count
        bytes -= batchBytes
        return (batch, relieveFlowPause())
    }

    /// The partition events whose preceding messages have all been handed out, oldest first;
    /// each is returned once.
    mutating func takeHandedOutEvents() -> [KafkaPartitionEvent] {
        defer { handedOutEvents = [] }
        return handedOutEvents
    }

    /// Removes the registered waiter (its task was cancelled), returning it to resume with nil.
    mutating func cancelWaiter() -> Waiter? {
        defer { waiter = nil }
        return waiter
    }

    /// Drops buffered messages of `partitions` (revoked, sought or paused), returning the lowest
    /// dropped offset per partition so a caller can rewind. `resumeFetching` as in ``take(waiter:)``.
    mutating func drop(_ partitions: Set<TopicPartition>) -> (lowest: [TopicPartition: Int64], resumeFetching: Bool) {
        guard head < chunks.count, !partitions.isEmpty else { return ([:], false) }
        var lowest: [TopicPartition: Int64] = [:]
        var keptChunks: [[KafkaMessage]] = []
        var keptBytes: [Int] = []
        var keptEvents: [[KafkaPartitionEvent]] = []
        for index in head..<chunks.count {
            let before = chunks[index].count
            chunks[index].removeAll { message in
                let tp = message.topicPartition
                guard partitions.contains(tp) else { return false }
                if lowest[tp].map({ message.offset < $0 }) ?? true { lowest[tp] = message.offset }
                return true
            }
            chunkEvents[index].removeAll { partitions.contains($0.topicPartition) }
            count -= before - chunks[index].count
            let size = chunks[index].count == before ? chunkBytes[index] : Self.size(of: chunks[index])
            bytes -= chunkBytes[index] - size
            if !chunks[index].isEmpty || !chunkEvents[index].isEmpty {
                keptChunks.append(chunks[index])
                keptBytes.append(size)
                keptEvents.append(chunkEvents[index])
            }
        }
        chunks = keptChunks
        chunkBytes = keptBytes
        chunkEvents = keptEvents
        handedOutEvents.removeAll { partitions.contains($0.topicPartition) }
        head = 0
        return (lowest, relieveFlowPause())
    }

    /// Ends the sequence: buffered messages are discarded, the reader (if waiting) gets nil.
    mutating func finish() -> Waiter? {
        isFinished = true
        chunks = []
        chunkBytes = []
        chunkEvents = []
        handedOutEvents = []
        head = 0
        count = 0
        bytes = 0
        return cancelWaiter()
    }

    /// What `messages` count against ``capacityBytes``: their keys, values and headers.
    static func size(of messages: [KafkaMessage]) -> Int {
        messages.reduce(0) { $0 + $1.byteCount }
    }

    private mutating func relieveFlowPause() -> Bool {
        guard wantsFlowPause, count < capacity / 2, bytes < capacityBytes / 2 else { return false }
        wantsFlowPause = false
        return true
    }
}
