import ContactDomain
import Foundation
import GRDB
import Logging

/// Consumer offsets kept in the database, fenced by partition owner epochs.
extension SQLiteContactStore {
    /// Stores the batch's offsets; checked last, so a batch whose partition was claimed by
    /// another worker meanwhile is refused however long its writes took (see ``PartitionClaim``).
    /// The first offset is set by a partition's first stored batch only (a claimed row has
    /// none yet); a row stored before migration 5 keeps none.
    static func upsertOffsets(_ offsets: [ConsumerOffset], _ db: Database, database: String) throws {
        guard !offsets.isEmpty else { return }
        let unfenced = try db.cachedStatement(
            sql: """
                INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, first_offset) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (group_id, topic, partition) DO UPDATE SET
                    next_offset = max(coalesce(consumer_offsets.next_offset, excluded.next_offset), excluded.next_offset),
                    first_offset = CASE WHEN consumer_offsets.next_offset IS NULL THEN excluded.first_offset
                        ELSE consumer_offsets.first_offset END
                """)
        let fenced = try db.cachedStatement(
            sql: """
                UPDATE consumer_offsets SET
                    next_offset = max(coalesce(next_offset, ?1), ?1),
                    first_offset = CASE WHEN next_offset IS NULL THEN ?2 ELSE first_offset END
                WHERE group_id = ?3 AND topic = ?4 AND partition = ?5 AND owner_epoch = ?6
                """)
        var refused: [ConsumerOffset] = []
        for offset in offsets {
            guard let epoch = offset.ownerEpoch else {
                try unfenced.execute(arguments: [
                    offset.group, offset.topic, offset.partition, offset.nextOffset, offset.firstOffset,
                ])
                continue
            }
            try fenced.execute(arguments: [
                offset.nextOffset, offset.firstOffset, offset.group, offset.topic, offset.partition, epoch,
            ])
            if db.changesCount == 0 { refused.append(offset) }
        }
        if let first = refused.first {
            // Thrown inside the transaction, so nothing of the batch is applied.
            throw StoreError.fenced(
                database: database, topic: first.topic, partitions: refused.map(\.partition).sorted())
        }
    }

    /// The stored next offset per partition of `topic` for `group`.
    public func offsets(group: String, topic: String) async throws -> [Int32: Int64] {
        try await partitionOffsets(
            sql: """
                SELECT partition, next_offset FROM consumer_offsets
                WHERE group_id = ? AND topic = ? AND next_offset IS NOT NULL
                """,
            group: group, topic: topic)
    }

    /// Raises each partition's owner epoch and reads where it resumes, in one transaction.
    public func claimPartitions(
        group: String, topic: String, partitions: [Int32]
    ) async throws -> [Int32: PartitionClaim] {
        guard !partitions.isEmpty else { return [:] }
        return try await write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO consumer_offsets (group_id, topic, partition, owner_epoch) VALUES (?, ?, ?, 1)
                    ON CONFLICT (group_id, topic, partition) DO UPDATE SET owner_epoch = consumer_offsets.owner_epoch + 1
                    RETURNING owner_epoch, next_offset
                    """)
            var claims: [Int32: PartitionClaim] = [:]
            for partition in partitions {
                guard let row = try Row.fetchOne(statement, arguments: [group, topic, partition]) else { continue }
                claims[partition] = PartitionClaim(
                    epoch: try row.decode(atIndex: 0), nextOffset: try row.decode(atIndex: 1))
            }
            return claims
        }
    }

    /// Per partition of `topic` for `group`, the first offset of the first batch stored (absent
    /// for partitions stored before migration 5 recorded it).
    public func firstOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
        try await partitionOffsets(
            sql: """
                SELECT partition, first_offset FROM consumer_offsets
                WHERE group_id = ? AND topic = ? AND first_offset IS NOT NULL
                """,
            group: group, topic: topic)
    }

    /// Rows of (partition, offset) from `consumer_offsets` for `group` and `topic`, by partition.
    func partitionOffsets(sql: String, group: String, topic: String) async throws -> [Int32: Int64] {
        try await read { db in
            var result: [Int32: Int64] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: [group, topic]) {
                result[try row.decode(Int32.self, atIndex: 0)] = try row.decode(Int64.self, atIndex: 1)
            }
            return result
        }
    }
}
