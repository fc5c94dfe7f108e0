import ContactDomain
import Foundation
import GRDB
import Logging

/// The transactional outbox: packed rows inserted with a batch, read in sequence order, and
/// deleted or rewritten as their messages are published.
extension SQLiteContactStore {
    /// Inserts `messages` as packed rows, one per source partition (see ``OutboxPacking``), and
    /// returns their sequences in the order of `messages`.
    static func insertOutbox(_ messages: [OutboxMessage], _ db: Database) throws -> [Int64] {
        guard !messages.isEmpty else { return [] }
        // AUTOINCREMENT never reuses an id, even after published rows are deleted, so sequence
        // order is publication order across batches.
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO outbox_batches (first_index, last_index, message_count, messages, source_partition)
                VALUES (0, ?, ?, ?, ?)
                """)
        let groups = OutboxPacking.partitionGroups(messages)
        var batchIDs: [Int64] = []
        batchIDs.reserveCapacity(groups.count)
        for group in groups {
            let packed = OutboxPacking.pack(group.positions, of: messages)
            try statement.execute(arguments: [
                group.positions.count - 1, group.positions.count, Data(packed), group.sourcePartition,
            ])
            batchIDs.append(db.lastInsertedRowID)
        }
        return OutboxPacking.sequences(of: groups, batchIDs: batchIDs, count: messages.count)
    }

    /// Up to `limit` unpublished messages of `selection` in sequence (insertion) order, each with
    /// its sequence and source partition set.
    public func pendingOutbox(_ selection: OutboxSelection, limit: Int) async throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        let database = self.database
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let through = selection.throughSequence {
            conditions.append("id <= ?")
            arguments += [OutboxPacking.lastBatchID(through: through)]
        }
        if let partitions = selection.sourcePartitions {
            if partitions.isEmpty {
                conditions.append("source_partition IS NULL")
            } else {
                let placeholders = Array(repeating: "?", count: partitions.count).joined(separator: ", ")
                conditions.append("(source_partition IS NULL OR source_partition IN (\(placeholders)))")
                arguments += StatementArguments(partitions.sorted())
            }
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT id, messages, source_partition FROM outbox_batches \(filter) ORDER BY id"
        let bound = arguments
        return try await read { db in
            var page = PendingOutboxPage(limit: limit, selection: selection)
            let rows = try Row.fetchCursor(db, sql: sql, arguments: bound)
            while !page.isFull, let row = try rows.next() {
                let (batchID, bytes, partition) = try Self.decoding(table: "outbox_batches", database: database) {
                    (
                        try row.decode(Int64.self, atIndex: 0), try row.decode(Data.self, atIndex: 1),
                        try row.decode(Int32?.self, atIndex: 2)
                    )
                }
                try page.append(packed: bytes, batchID: batchID, sourcePartition: partition, database: database)
            }
            return page.messages
        }
    }

    /// The sequence of the newest message in the outbox, `nil` when it is empty.
    public func lastOutboxSequence() async throws -> Int64? {
        let database = self.database
        return try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT id, last_index FROM outbox_batches ORDER BY id DESC LIMIT 1")
            else {
                return nil
            }
            return try Self.decoding(table: "outbox_batches", database: database) {
                OutboxPacking.sequence(
                    batchID: try row.decode(Int64.self, atIndex: 0), index: try row.decode(Int.self, atIndex: 1))
            }
        }
    }

    /// The number of outbox messages not yet published.
    public func pendingOutboxCount() async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT coalesce(sum(message_count), 0) FROM outbox_batches") ?? 0
        }
    }

    /// Deletes acknowledged messages so they are never returned by ``pendingOutbox(_:limit:)`` again.
    public func markPublished(sequences: [Int64]) async throws {
        guard !sequences.isEmpty else { return }
        let database = self.database
        try await write { db in try Self.deleteOutbox(sequences, db, database: database) }
    }

    /// Removes the messages with these sequences: rows marked whole are deleted, rows marked in
    /// part are rewritten without the marked messages (see ``OutboxPacking``).
    static func deleteOutbox(_ sequences: [Int64], _ db: Database, database: String) throws {
        guard !sequences.isEmpty else { return }
        let marks = OutboxPacking.marks(sequences)
        let select = try db.cachedStatement(
            sql: "SELECT first_index, last_index, message_count FROM outbox_batches WHERE id = ?")
        let delete = try db.cachedStatement(sql: "DELETE FROM outbox_batches WHERE id = ?")
        for (batchID, runs) in marks.sorted(by: { $0.key < $1.key }) {
            guard let row = try Row.fetchOne(select, arguments: [batchID]) else { continue }
            let stored = OutboxPacking.StoredBatch(
                firstIndex: try row.decode(atIndex: 0), lastIndex: try row.decode(atIndex: 1),
                count: try row.decode(atIndex: 2))
            switch OutboxPacking.effect(of: runs, on: stored) {
            case .deletesRow:
                try delete.execute(arguments: [batchID])
            case .leavesRow:
                continue
            case .rewritesRow:
                try rewriteOutboxBatch(batchID, without: runs, db, database: database)
            }
        }
    }

    /// Rewrites one packed row without the messages whose indexes fall in `runs`, or deletes it
    /// when none remain.
    static func rewriteOutboxBatch(
        _ batchID: Int64, without runs: [ClosedRange<Int>], _ db: Database, database: String
    ) throws {
        guard
            let bytes = try Data.fetchOne(
                db, sql: "SELECT messages FROM outbox_batches WHERE id = ?", arguments: [batchID])
        else { return }
        let messages = try OutboxPacking.unpack(bytes, batchID: batchID, database: database)
        switch OutboxPacking.rewrite(messages, without: runs) {
        case .unchanged:
            return
        case .delete:
            try db.execute(sql: "DELETE FROM outbox_batches WHERE id = ?", arguments: [batchID])
        case .replace(let firstIndex, let lastIndex, let count, let packed):
            try db.execute(
                sql:
                    "UPDATE outbox_batches SET first_index = ?, last_index = ?, message_count = ?, messages = ? WHERE id = ?",
                arguments: [firstIndex, lastIndex, count, Data(packed), batchID])
        }
    }
}
