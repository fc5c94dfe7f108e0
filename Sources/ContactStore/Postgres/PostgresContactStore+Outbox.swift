import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// The transactional outbox: packed rows inserted with a batch, read in sequence order, and
/// deleted or rewritten as their messages are published.
extension PostgresContactStore {
    /// Inserts `messages` as packed rows, one per source partition (see ``OutboxPacking``), in
    /// one statement, and returns their sequences in the order of `messages`.
    static func insertOutbox(
        _ messages: [OutboxMessage], _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws -> [Int64] {
        guard !messages.isEmpty else { return [] }
        let groups = OutboxPacking.partitionGroups(messages)
        // A group holds at most OutboxPacking.maxMessages (2^20) messages, so its counts fit Int32.
        var lastIndex = PostgresArrayColumn<Int32>(reservingRows: groups.count)
        var messageCount = PostgresArrayColumn<Int32>(reservingRows: groups.count)
        var packed = PostgresByteaArray(reservingRows: groups.count)
        var sourcePartition = PostgresArrayColumn<Int32>(reservingRows: groups.count)
        for group in groups {
            lastIndex.append(Int32(group.positions.count - 1))
            messageCount.append(Int32(group.positions.count))
            packed.append(OutboxPacking.pack(group.positions, of: messages))
            sourcePartition.append(group.sourcePartition)
        }
        // ORDER BY position makes the identity column number the rows in the groups' order, so
        // the ids sorted ascending are the groups' ids in order.
        let rows = try await connection.query(
            """
            INSERT INTO outbox_batches (first_index, last_index, message_count, messages, source_partition)
            SELECT 0, last_index, message_count, messages, source_partition
            FROM UNNEST(\(lastIndex), \(messageCount),
                \(packed),
                \(sourcePartition))
                WITH ORDINALITY AS g (last_index, message_count, messages, source_partition, position)
            ORDER BY position
            RETURNING id
            """, logger: logger
        ).collect()
        let batchIDs = try rows.map { row in try corruptRowOnFailure(database: database) { try row.decode(Int64.self) }
        }.sorted()
        guard batchIDs.count == groups.count else {
            throw StoreError.unexpected(
                database: database,
                underlying: "INSERT … RETURNING id returned \(batchIDs.count) ids for \(groups.count) rows")
        }
        return OutboxPacking.sequences(of: groups, batchIDs: batchIDs, count: messages.count)
    }

    /// Removes the messages with these sequences: rows marked whole are deleted in one statement;
    /// rows marked in part (rare: the worker marks whole batches) are read and rewritten.
    static func deleteOutbox(
        _ sequences: [Int64], _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws {
        guard !sequences.isEmpty else { return }
        let marks = OutboxPacking.marks(sequences)
        let pairs = marks.flatMap { batchID, runs in runs.map { (batchID, $0) } }
        var deleted = Set<Int64>()
        let rows = try await connection.query(
            """
            DELETE FROM outbox_batches AS o
            USING UNNEST(\(pairs.map(\.0)), \(pairs.map { Int32($0.1.lowerBound) }), \(pairs.map { Int32($0.1.upperBound) }))
                AS m (id, low, high)
            WHERE o.id = m.id AND o.first_index >= m.low AND o.last_index <= m.high
                AND o.message_count = o.last_index - o.first_index + 1
            RETURNING o.id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { deleted.insert(id) }
        let rest = marks.keys.filter { !deleted.contains($0) }.sorted()
        guard !rest.isEmpty else { return }
        let stored = try await connection.query(
            "SELECT id, first_index, last_index, message_count FROM outbox_batches WHERE id = ANY(\(rest)) ORDER BY id",
            logger: logger
        ).collect()
        for row in stored {
            let (id, first, last, count) = try corruptRowOnFailure(database: database) {
                try row.decode((Int64, Int32, Int32, Int32).self)
            }
            let batch = OutboxPacking.StoredBatch(firstIndex: Int(first), lastIndex: Int(last), count: Int(count))
            guard let runs = marks[id], OutboxPacking.effect(of: runs, on: batch) != .leavesRow else { continue }
            try await rewriteOutboxBatch(id, without: runs, connection, database: database, logger: logger)
        }
    }

    /// Rewrites one packed row without the messages whose indexes fall in `runs`, or deletes it
    /// when none remain.
    static func rewriteOutboxBatch(
        _ batchID: Int64, without runs: [ClosedRange<Int>], _ connection: PostgresConnection, database: String,
        logger: Logger
    ) async throws {
        let rows = try await connection.query(
            "SELECT messages FROM outbox_batches WHERE id = \(batchID)", logger: logger
        ).collect()
        guard let row = rows.first else { return }
        let bytes = try corruptRowOnFailure(database: database) { try row.decode(ByteBuffer.self) }
        let messages = try OutboxPacking.unpack(bytes.readableBytesView, batchID: batchID, database: database)
        switch OutboxPacking.rewrite(messages, without: runs) {
        case .unchanged:
            return
        case .delete:
            try await connection.query("DELETE FROM outbox_batches WHERE id = \(batchID)", logger: logger)
        case .replace(let firstIndex, let lastIndex, let count, let packed):
            try await connection.query(
                """
                UPDATE outbox_batches SET first_index = \(firstIndex), last_index = \(lastIndex),
                    message_count = \(count), messages = \(ByteBuffer(bytes: packed))
                WHERE id = \(batchID)
                """, logger: logger)
        }
    }

    /// `body`, with a decoding failure reported as a corrupt row of `table`.
    static func corruptRowOnFailure<T>(
        database: String, table: String = "outbox_batches", _ body: () throws -> T
    ) throws -> T {
        do {
            return try body()
        } catch let error as PostgresDecodingError {
            throw StoreError.corruptRow(
                database: database, table: table, detail: "column \(error.columnName): \(error.code)")
        }
    }

    /// Up to `limit` unpublished messages of `selection` in sequence (insertion) order, each with
    /// its sequence and source partition set.
    public func pendingOutbox(_ selection: OutboxSelection, limit: Int) async throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        let logger = self.logger
        let database = self.database
        let lastBatchID = selection.throughSequence.map(OutboxPacking.lastBatchID(through:)) ?? .max
        let everyPartition = selection.sourcePartitions == nil
        let partitions = (selection.sourcePartitions ?? []).sorted()
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                // The counts first (small), then only the rows needed to fill `limit`.
                var needed: [Int64] = []
                var total = 0
                let counts = try await connection.query(
                    """
                    SELECT id, message_count FROM outbox_batches
                    WHERE id <= \(lastBatchID)
                        AND (\(everyPartition) OR source_partition IS NULL OR source_partition = ANY(\(partitions)))
                    ORDER BY id
                    """, logger: logger)
                for try await (id, count) in counts.decode((Int64, Int32).self) where total < limit {
                    needed.append(id)
                    total += Int(count)
                }
                guard !needed.isEmpty else { return [] }
                var page = PendingOutboxPage(limit: limit, selection: selection)
                let rows = try await connection.query(
                    "SELECT id, messages, source_partition FROM outbox_batches WHERE id = ANY(\(needed)) ORDER BY id",
                    logger: logger)
                for try await row in rows where !page.isFull {
                    let (id, bytes, partition) = try Self.corruptRowOnFailure(database: database) {
                        try row.decode((Int64, ByteBuffer, Int32?).self)
                    }
                    try page.append(
                        packed: bytes.readableBytesView, batchID: id, sourcePartition: partition, database: database)
                }
                return page.messages
            }
        }
    }

    /// The sequence of the newest message in the outbox, `nil` when it is empty.
    public func lastOutboxSequence() async throws -> Int64? {
        let rows = try await collect("SELECT id, last_index FROM outbox_batches ORDER BY id DESC LIMIT 1")
        guard let row = rows.first else { return nil }
        return try decoding(table: "outbox_batches") {
            let (id, lastIndex) = try row.decode((Int64, Int32).self)
            return OutboxPacking.sequence(batchID: id, index: Int(lastIndex))
        }
    }

    /// The number of outbox messages not yet published.
    public func pendingOutboxCount() async throws -> Int {
        let rows = try await collect("SELECT coalesce(sum(message_count), 0)::bigint FROM outbox_batches")
        return try decoding(table: "outbox_batches") { Int(try rows.first?.decode(Int64.self) ?? 0) }
    }

    /// Deletes acknowledged messages so they are never returned by ``pendingOutbox(_:limit:)`` again.
    public func markPublished(sequences: [Int64]) async throws {
        guard !sequences.isEmpty else { return }
        let logger = self.logger
        let database = self.database
        try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await Self.deleteOutbox(sequences, connection, database: database, logger: logger)
            }
        }
    }
}
