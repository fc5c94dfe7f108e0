import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// Consumer offsets kept in the database, fenced by partition owner epochs.
extension PostgresContactStore {
    /// Stores the batch's offsets, last in its transaction: an offset naming an owner epoch must
    /// find its partition still at that epoch, or the whole batch is refused (see
    /// ``PartitionClaim``). The UPDATE waits for a claim in progress on the same row and then
    /// sees the raised epoch, so a batch and a claim of one partition never both succeed unless
    /// the batch committed first. The first offset is set by a partition's first stored batch
    /// only (a claimed row has none yet); a row stored before migration 5 keeps none.
    static func storeOffsets(
        _ offsets: [ConsumerOffset], _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws {
        let unfenced = offsets.filter { $0.ownerEpoch == nil }
        if !unfenced.isEmpty {
            try await connection.query(
                """
                INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, first_offset)
                SELECT * FROM UNNEST(\(unfenced.map(\.group)), \(unfenced.map(\.topic)), \(unfenced.map(\.partition)),
                    \(unfenced.map(\.nextOffset)), \(PostgresArrayColumn(unfenced.map(\.firstOffset))))
                ON CONFLICT (group_id, topic, partition) DO UPDATE SET
                    next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset),
                    first_offset = CASE WHEN consumer_offsets.next_offset IS NULL THEN EXCLUDED.first_offset
                        ELSE consumer_offsets.first_offset END
                """, logger: logger)
        }
        let fenced = offsets.filter { $0.ownerEpoch != nil }
        guard !fenced.isEmpty else { return }
        let rows = try await connection.query(
            """
            UPDATE consumer_offsets AS o SET
                next_offset = GREATEST(o.next_offset, u.next_offset),
                first_offset = CASE WHEN o.next_offset IS NULL THEN u.first_offset ELSE o.first_offset END
            FROM UNNEST(\(fenced.map(\.group)), \(fenced.map(\.topic)), \(fenced.map(\.partition)),
                \(fenced.map(\.nextOffset)), \(PostgresArrayColumn(fenced.map(\.firstOffset))),
                \(fenced.map { $0.ownerEpoch ?? 0 }))
                AS u (group_id, topic, partition, next_offset, first_offset, owner_epoch)
            WHERE o.group_id = u.group_id AND o.topic = u.topic AND o.partition = u.partition
                AND o.owner_epoch = u.owner_epoch
            RETURNING o.topic, o.partition
            """, logger: logger)
        var stored = Set<String>()
        for try await (topic, partition) in rows.decode((String, Int32).self) { stored.insert("\(topic)/\(partition)") }
        let refused = fenced.filter { !stored.contains("\($0.topic)/\($0.partition)") }
        if let first = refused.first {
            // Thrown inside the transaction, so nothing of the batch is applied.
            throw StoreError.fenced(
                database: database, topic: first.topic, partitions: refused.map(\.partition).sorted())
        }
    }

    /// The stored next offset per partition of `topic` for `group`.
    public func offsets(group: String, topic: String) async throws -> [Int32: Int64] {
        try await partitionOffsets(
            """
            SELECT partition, next_offset FROM consumer_offsets
            WHERE group_id = \(group) AND topic = \(topic) AND next_offset IS NOT NULL
            """)
    }

    /// Raises each partition's owner epoch and reads where it resumes, in one transaction.
    public func claimPartitions(
        group: String, topic: String, partitions: [Int32]
    ) async throws -> [Int32: PartitionClaim] {
        guard !partitions.isEmpty else { return [:] }
        let logger = self.logger
        let database = self.database
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                // Sorted, so two workers claiming overlapping sets lock rows in one order.
                let sorted = Set(partitions).sorted()
                let rows = try await connection.query(
                    """
                    INSERT INTO consumer_offsets (group_id, topic, partition, owner_epoch)
                    SELECT \(group), \(topic), partition, 1 FROM UNNEST(\(sorted)) AS p (partition)
                    ON CONFLICT (group_id, topic, partition) DO UPDATE SET owner_epoch = consumer_offsets.owner_epoch + 1
                    RETURNING partition, owner_epoch, next_offset
                    """, logger: logger)
                var claims: [Int32: PartitionClaim] = [:]
                for try await (partition, epoch, next) in rows.decode((Int32, Int64, Int64?).self) {
                    claims[partition] = PartitionClaim(epoch: epoch, nextOffset: next)
                }
                guard claims.count == Set(partitions).count else {
                    throw StoreError.unexpected(
                        database: database, underlying: "claiming partitions returned \(claims.count) rows")
                }
                return claims
            }
        }
    }

    /// Per partition of `topic` for `group`, the first offset of the first batch stored (absent
    /// for partitions stored before migration 5 recorded it).
    public func firstOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
        try await partitionOffsets(
            """
            SELECT partition, first_offset FROM consumer_offsets
            WHERE group_id = \(group) AND topic = \(topic) AND first_offset IS NOT NULL
            """)
    }

    /// Rows of (partition, offset) from `consumer_offsets`, by partition.
    func partitionOffsets(_ query: PostgresQuery) async throws -> [Int32: Int64] {
        var result: [Int32: Int64] = [:]
        for row in try await collect(query) {
            let (partition, offset) = try decoding(table: "consumer_offsets") {
                try row.decode((Int32, Int64).self)
            }
            result[partition] = offset
        }
        return result
    }
}
