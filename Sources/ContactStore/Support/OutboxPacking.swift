/// How the outbox stores a batch's messages: one row per batch (`outbox_batches`), its messages
/// packed into one byte string, instead of one row per message.
///
/// A batch of 1,000 commands enqueues about 2,000 messages. Inserting them as rows cost SQLite a
/// statement per message and PostgreSQL 2,000 heap tuples plus their deletion and vacuuming later;
/// one packed row costs one statement and one tuple, and the worker always publishes and marks a
/// batch's messages together.
///
/// Every message keeps a sequence of its own, `batch id << 20 | index in the batch`, so callers
/// still see one increasing number per message (``OutboxMessage/sequence``), and marking any
/// subset published works: a batch marked whole is deleted, a batch marked in part is rewritten
/// without the marked messages (their indexes stay, so the remaining sequences do not change).
///
/// The packing is a length-prefixed binary layout written by hand: values, keys and header values
/// are arbitrary bytes, which JSON would have to escape or base64-encode.
enum OutboxPacking {
    /// Bits of a sequence that hold the message's index within its batch.
    static let indexBits = 20
    /// The most messages one stored batch holds; a larger `StoreBatch.outbox` is split.
    static let maxMessages = 1 << indexBits
    /// Messages per packed row when migration 4 moves the old per-message outbox: reading the old
    /// table a page at a time keeps memory bounded however large a backlog it holds.
    static let legacyPageSize = 1_000
    /// The first byte of every packed batch: the layout's version.
    static let formatVersion: UInt8 = 1

    /// A packed row's bookkeeping columns: the first and last index still in it, and how many
    /// messages it holds (fewer than `lastIndex - firstIndex + 1` once a scattered mark was applied).
    struct StoredBatch: Sendable {
        var firstIndex: Int
        var lastIndex: Int
        var count: Int

        /// Whether the messages left are every index from ``firstIndex`` through ``lastIndex``.
        var isContiguous: Bool { lastIndex - firstIndex + 1 == count }
    }

    /// The sequence of message `index` of batch `batchID`.
    static func sequence(batchID: Int64, index: Int) -> Int64 {
        batchID << Int64(indexBits) | Int64(index)
    }

    /// The sequences of the first `count` messages of batch `batchID`, as `pack` numbers them.
    static func sequences(batchID: Int64, count: Int) -> [Int64] {
        (0..<count).map { sequence(batchID: batchID, index: $0) }
    }

    /// Splits `messages` into the groups stored as one row each (at most ``maxMessages``), for
    /// rows without a source partition (migration 4's move of the per-message outbox).
    static func groups(_ messages: [OutboxMessage]) -> [ArraySlice<OutboxMessage>] {
        messages.chunked(into: maxMessages)
    }

    /// The messages of one stored row: they share a source partition, and `positions` are their
    /// places in the batch's outbox, in order.
    struct PartitionGroup: Sendable, Equatable {
        var sourcePartition: Int32?
        var positions: [Int]
    }

    /// Splits a batch's messages into the rows stored: one per source partition, in the order the
    /// partitions first appear, each cut at ``maxMessages``. A drain selects rows by partition, so
    /// a row never mixes partitions; within a row the batch's order holds, and so does each
    /// contact's (a contact's commands share a partition).
    static func partitionGroups(_ messages: [OutboxMessage]) -> [PartitionGroup] {
        var indexByPartition: [Int32?: Int] = [:]
        var groups: [PartitionGroup] = []
        for (position, message) in messages.enumerated() {
            if let index = indexByPartition[message.sourcePartition] {
                groups[index].positions.append(position)
            } else {
                indexByPartition[message.sourcePartition] = groups.count
                groups.append(PartitionGroup(sourcePartition: message.sourcePartition, positions: [position]))
            }
        }
        return groups.flatMap { group in
            group.positions.chunked(into: maxMessages).map {
                PartitionGroup(sourcePartition: group.sourcePartition, positions: Array($0))
            }
        }
    }

    /// The sequences of a batch's `count` messages in the batch's order, given the id each of
    /// `groups` was stored under (`batchIDs[i]` for `groups[i]`).
    static func sequences(of groups: [PartitionGroup], batchIDs: [Int64], count: Int) -> [Int64] {
        var sequences = [Int64](repeating: -1, count: count)
        for (group, batchID) in zip(groups, batchIDs) {
            for (index, position) in group.positions.enumerated() {
                sequences[position] = sequence(batchID: batchID, index: index)
            }
        }
        return sequences
    }

    /// The batch id of `sequence`: the last stored row ``OutboxSelection/throughSequence`` takes
    /// (as ``ContactStore/lastOutboxSequence()`` gives it, the last message of that row). A row
    /// never gains messages, so the rows up to it are exactly those that existed when it was read.
    static func lastBatchID(through sequence: Int64) -> Int64 {
        sequence >> Int64(indexBits)
    }

    // MARK: - Marking

    /// Published sequences grouped by batch id, each as ascending runs of consecutive indexes.
    /// Negative sequences (never issued) are dropped.
    static func marks(_ sequences: [Int64]) -> [Int64: [ClosedRange<Int>]] {
        var result: [Int64: [ClosedRange<Int>]] = [:]
        let mask = Int64(maxMessages - 1)
        for sequence in sequences.sorted() where sequence >= 0 {
            let batchID = sequence >> Int64(indexBits)
            extend(&result[batchID, default: []], with: Int(sequence & mask))
        }
        return result
    }

    /// Adds `index` (no lower than any index already in `runs`) to the sorted, disjoint `runs`,
    /// in place: the caller passes the dictionary's own storage, so no run list is copied.
    private static func extend(_ runs: inout [ClosedRange<Int>], with index: Int) {
        guard let last = runs.last else {
            runs.append(index...index)
            return
        }
        if index <= last.upperBound { return }
        if index == last.upperBound + 1 {
            runs[runs.count - 1] = last.lowerBound...index
        } else {
            runs.append(index...index)
        }
    }

    /// What marking messages published does to one stored row.
    enum MarkEffect: Equatable {
        /// Every message left in the row is marked: delete the row.
        case deletesRow
        /// None of its messages is marked: leave the row as it is.
        case leavesRow
        /// Some of its messages are marked, or the row has holes: read its messages and rewrite it
        /// (see ``rewrite(_:without:)``).
        case rewritesRow
    }

    /// What marking `runs` published does to `batch`, decided from its stored index columns alone.
    static func effect(of runs: [ClosedRange<Int>], on batch: StoredBatch) -> MarkEffect {
        let present = batch.firstIndex...batch.lastIndex
        guard runs.contains(where: { $0.overlaps(present) }) else { return .leavesRow }
        if batch.isContiguous,
            runs.contains(where: { $0.contains(present.lowerBound) && $0.contains(present.upperBound) })
        {
            return .deletesRow
        }
        return .rewritesRow
    }

    /// What a stored batch becomes once the messages in `runs` are removed from it.
    enum Rewrite: Equatable {
        /// None of its messages were marked.
        case unchanged
        /// Every message left was marked: delete the row.
        case delete
        /// Some remain: store these columns instead.
        case replace(firstIndex: Int, lastIndex: Int, count: Int, messages: [UInt8])
    }

    /// `messages` (unpacked from one row) without those whose index is in `runs`.
    static func rewrite(_ messages: [(index: Int, message: OutboxMessage)], without runs: [ClosedRange<Int>]) -> Rewrite
    {
        let kept = messages.filter { entry in !runs.contains { $0.contains(entry.index) } }
        guard kept.count < messages.count else { return .unchanged }
        guard let first = kept.first, let last = kept.last else { return .delete }
        return .replace(firstIndex: first.index, lastIndex: last.index, count: kept.count, messages: pack(kept))
    }

    // MARK: - Packing

    /// Packs `messages`, numbered by their position from 0, into one byte string.
    static func pack(_ messages: some Collection<OutboxMessage>) -> [UInt8] {
        let messages = Array(messages)
        return pack(messages.indices, of: messages)
    }

    /// Packs the messages of `messages` at `positions`, numbered by their place in `positions`
    /// from 0: a partition group (``PartitionGroup``) of a batch's outbox, without copying its
    /// messages out of the batch first.
    static func pack(_ positions: some Collection<Int>, of messages: [OutboxMessage]) -> [UInt8] {
        messages.withUnsafeBufferPointer { messages in
            var writer = ByteChunkWriter()
            writer.bytes.reserveCapacity(1 + positions.reduce(0) { $0 + packedSizeBound(messages, at: $1) })
            writer.bytes.append(formatVersion)
            for (index, position) in positions.enumerated() {
                // Checked here: the buffer's own subscript is not, in a release build.
                precondition(messages.indices.contains(position), "outbox position \(position) out of range")
                append(messages, at: position, index: index, to: &writer)
            }
            return writer.bytes
        }
    }

    /// Packs messages with explicit indexes (a rewritten batch keeps its messages' indexes).
    static func pack(_ indexed: [(index: Int, message: OutboxMessage)]) -> [UInt8] {
        let messages = indexed.map(\.message)
        return messages.withUnsafeBufferPointer { messages in
            var writer = ByteChunkWriter()
            writer.bytes.reserveCapacity(1 + messages.indices.reduce(0) { $0 + packedSizeBound(messages, at: $1) })
            writer.bytes.append(formatVersion)
            for (position, entry) in indexed.enumerated() {
                append(messages, at: position, index: entry.index, to: &writer)
            }
            return writer.bytes
        }
    }

    // The two below read a message's fields through the buffer, one at a time: taking the whole
    // message as a value would copy it, retaining and then releasing every field, for each
    // message of every batch.

    /// At least the bytes ``append(_:at:index:to:)`` writes for `messages[position]`: its variable
    /// parts, 32 for its index, lengths and presence flags (at most 26), and 8 per header for its
    /// lengths.
    private static func packedSizeBound(_ messages: UnsafeBufferPointer<OutboxMessage>, at position: Int) -> Int {
        32 + messages[position].topic.utf8.count + (messages[position].key?.count ?? 0)
            + messages[position].value.count + (messages[position].contactID?.utf8.count ?? 0)
            + messages[position].headers.reduce(0) { $0 + 8 + $1.name.utf8.count + $1.value.count }
    }

    /// Appends `messages[position]` as message `index` of a packed batch: its index, topic, key,
    /// value, contact id and headers.
    private static func append(
        _ messages: UnsafeBufferPointer<OutboxMessage>, at position: Int, index: Int, to writer: inout ByteChunkWriter
    ) {
        writer.appendLength(index)
        writer.appendChunk(messages[position].topic.utf8)
        writer.appendOptionalChunk(messages[position].key)
        writer.appendChunk(messages[position].value)
        writer.appendOptionalChunk(messages[position].contactID?.utf8)
        writer.appendLength(messages[position].headers.count)
        for header in messages[position].headers {
            writer.appendChunk(header.name.utf8)
            writer.appendChunk(header.value)
        }
    }

    /// ``unpack(_:batchID:)``, with bytes that are not a packed batch reported as a corrupt row of
    /// `database`.
    static func unpack(
        _ bytes: some Collection<UInt8>, batchID: Int64, database: String
    ) throws(StoreError) -> [(index: Int, message: OutboxMessage)] {
        guard let messages = unpack(bytes, batchID: batchID) else {
            throw .corruptRow(
                database: database, table: "outbox_batches", detail: "unreadable messages in batch \(batchID)")
        }
        return messages
    }

    /// Unpacks the messages of batch `batchID`, each with its sequence set; `nil` when the bytes
    /// are not a packed batch (a corrupt row).
    static func unpack(_ bytes: some Collection<UInt8>, batchID: Int64) -> [(index: Int, message: OutboxMessage)]? {
        var reader = ByteChunkReader(bytes)
        guard reader.readByte() == formatVersion else { return nil }
        var result: [(index: Int, message: OutboxMessage)] = []
        while !reader.isAtEnd {
            guard let index = reader.readLength(), index < maxMessages,
                let topic = reader.readChunk(),
                let key = reader.readOptionalChunk(),
                let value = reader.readChunk(),
                let contactID = reader.readOptionalChunk(),
                let headerCount = reader.readLength()
            else { return nil }
            var headers: [(name: String, value: [UInt8])] = []
            headers.reserveCapacity(min(headerCount, 64))
            for _ in 0..<headerCount {
                guard let name = reader.readChunk(), let value = reader.readChunk() else { return nil }
                headers.append((String(decoding: name, as: UTF8.self), value))
            }
            let message = OutboxMessage(
                sequence: sequence(batchID: batchID, index: index), topic: String(decoding: topic, as: UTF8.self),
                key: key, value: value, headers: headers,
                contactID: contactID.map { String(decoding: $0, as: UTF8.self) })
            result.append((index, message))
        }
        return result
    }
}
