import ContactDomain
import Foundation
import GRDB
import Logging
import Synchronization

/// The embedded store: one SQLite file in WAL mode, accessed through a GRDB `DatabasePool`
/// (one writer, concurrent readers).
///
/// Durability: WAL with `synchronous=NORMAL` makes every committed transaction survive a process
/// crash (`kill -9`): the commit is in the WAL file before `apply` returns, and SQLite replays the
/// WAL on the next open. Only a power loss or kernel crash can lose the last few transactions,
/// because the WAL is fsynced at checkpoints rather than on every commit. The worker's guarantee is
/// about process crashes, so NORMAL is the default; `?synchronous=full` in the URL fsyncs on every
/// commit for hosts where power loss matters more than throughput.
public final class SQLiteContactStore: ContactStore {
    private let writer: any DatabaseWriter
    private let database: String
    private let logger: Logger
    private let isClosed = Mutex(false)
    private let checkpointer: SQLiteCheckpointer?

    /// Opens (creating if needed, with its parent directory) the database file named by `settings`.
    ///
    /// - Throws: ``StoreError/unavailable(database:underlying:)`` when the file cannot be created
    ///   or opened (missing permissions, a path component that is a file, a full disk).
    public init(_ settings: DatabaseURL.SQLite, logger: Logger) throws {
        self.database = DatabaseURL.sqlite(settings).description
        self.logger = logger
        var configuration = Configuration()
        configuration.label = "ContactStore"
        configuration.busyMode = .timeout(TimeInterval(settings.busyTimeoutMilliseconds) / 1000)
        let synchronous = settings.synchronousFull ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // SQLite's default page cache is 2 MB; a batch touches pages all over the indexes of
            // several tables, and re-reading them through read(2) dominated apply time. 64 MB of
            // cache per connection plus memory-mapped reads keep the hot pages in process.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // A 1,000-command batch writes a few MB of WAL. Checkpoints run on a background
            // connection (SQLiteCheckpointer); the writer only checkpoints itself past 256 MB.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 65536")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        do {
            if let path = settings.path {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                // DatabasePool turns WAL mode on when it opens the file.
                writer = try DatabasePool(path: path, configuration: configuration)
                checkpointer = try SQLiteCheckpointer(path: path, interval: .milliseconds(200), logger: logger)
            } else {
                writer = try DatabaseQueue(configuration: configuration)
                checkpointer = nil
            }
        } catch {
            throw StoreError.unavailable(database: database, underlying: Self.describe(error))
        }
        logger.debug("opened SQLite store", metadata: ["database": "\(database)", "synchronous": "\(synchronous)"])
    }

    // MARK: - Migrations

    /// Creates or upgrades the schema to ``SchemaMigrations/latestVersion`` in one transaction; a no-op when up to date.
    public func migrate() async throws {
        try await migrate(through: SchemaMigrations.latestVersion)
    }

    /// Migrates up to and including version `target` only; tests use it to build an older schema.
    func migrate(through target: Int) async throws {
        let database = self.database
        let applied = try await write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        applied_at INTEGER NOT NULL
                    )
                    """)
            let rows = try Row.fetchAll(db, sql: "SELECT version, name FROM schema_migrations ORDER BY version")
            let applied = try rows.map { row in
                (version: try row.decode(Int.self, atIndex: 0), name: try row.decode(String.self, atIndex: 1))
            }
            let pending = try SchemaMigrations.pending(applied: applied, database: database, through: target)
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for migration in pending {
                for statement in migration.sqlite {
                    try db.execute(sql: statement)
                }
                switch migration.dataStep {
                case .packLegacyOutbox: try Self.packLegacyOutbox(db, database: database)
                case nil: break
                }
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    arguments: [migration.version, migration.name, now])
            }
            return pending.map(\.version)
        }
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["database": "\(database)", "versions": "\(applied)"])
        }
    }

    /// The versions recorded in `schema_migrations`, ascending; empty before the first migration.
    public func appliedMigrations() async throws -> [Int] {
        try await read { db in
            guard try db.tableExists("schema_migrations") else { return [] }
            return try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations ORDER BY version")
        }
    }

    // MARK: - Batch write

    /// Writes the whole batch in one transaction: contacts, history, idempotency records, events, outbox and offsets commit together or not at all.
    @discardableResult
    public func apply(_ batch: StoreBatch) async throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        let database = self.database
        return try await write { db in
            try Self.upsertContacts(batch.uniqueContacts, db)
            try Self.insertInteractions(batch.interactions, db)
            try Self.insertStatusHistory(batch.statusHistory, db)
            try Self.insertProcessedCommands(batch.processedCommands, db)
            try Self.insertEvents(batch.events, db)
            let sequences = try Self.insertOutbox(batch.outbox, db)
            try Self.deleteOutbox(batch.published, db, database: database)
            try Self.upsertOffsets(batch.offsets, db, database: database)
            return sequences
        }
    }

    private static func upsertContacts(_ contacts: [Contact], _ db: Database) throws {
        guard !contacts.isEmpty else { return }
        // Most commands change a contact's non-indexed columns only (AddInteraction: last_contacted
        // and updated_at). An UPSERT rewrites every index of the columns it sets, even with equal
        // values, and was 40 % of a batch's write; this UPDATE leaves the indexed columns out and
        // matches only when they are unchanged, so a new contact, or one whose status or business
        // changed, still goes through the full upsert.
        let update = try db.cachedStatement(
            sql: """
                UPDATE contacts SET first_name = ?, last_name = ?, company_name = ?, display_name = ?, email = ?,
                    phone = ?, lifecycle_stage = ?, last_contacted = ?, created_at = ?, updated_at = ?, version = ?
                WHERE id = ? AND business_id = ? AND relationship_status = ?
                """)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO contacts (id, business_id, first_name, last_name, company_name, display_name, email,
                    phone, relationship_status, lifecycle_stage, last_contacted, created_at, updated_at, version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    business_id = excluded.business_id, first_name = excluded.first_name,
                    last_name = excluded.last_name, company_name = excluded.company_name,
                    display_name = excluded.display_name, email = excluded.email, phone = excluded.phone,
                    relationship_status = excluded.relationship_status, lifecycle_stage = excluded.lifecycle_stage,
                    last_contacted = excluded.last_contacted, created_at = excluded.created_at,
                    updated_at = excluded.updated_at, version = excluded.version
                """)
        for contact in contacts {
            let id = contact.id.lowercasedString
            try update.execute(arguments: [
                contact.firstName, contact.lastName, contact.companyName, contact.displayName, contact.email,
                contact.phone, contact.lifecycleStage.rawValue, contact.lastContacted?.microsecondsSinceEpoch,
                contact.createdAt.microsecondsSinceEpoch, contact.updatedAt.microsecondsSinceEpoch, contact.version,
                id, contact.businessID, contact.relationshipStatus.rawValue,
            ])
            guard db.changesCount == 0 else { continue }
            try upsert.execute(arguments: [
                id, contact.businessID, contact.firstName, contact.lastName,
                contact.companyName, contact.displayName, contact.email, contact.phone,
                contact.relationshipStatus.rawValue, contact.lifecycleStage.rawValue,
                contact.lastContacted?.microsecondsSinceEpoch, contact.createdAt.microsecondsSinceEpoch,
                contact.updatedAt.microsecondsSinceEpoch, contact.version,
            ])
        }
    }

    private static func insertInteractions(_ interactions: [Interaction], _ db: Database) throws {
        guard !interactions.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO interactions (id, contact_id, type, description, timestamp, outcome, next_action,
                    scheduled_follow_up, performed_by, performed_by_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for interaction in interactions {
            try statement.execute(arguments: [
                interaction.id.lowercasedString, interaction.contactID.lowercasedString, interaction.type.rawValue,
                interaction.description, interaction.timestamp.microsecondsSinceEpoch, interaction.outcome,
                interaction.nextAction, interaction.scheduledFollowUp?.microsecondsSinceEpoch,
                interaction.performedBy, interaction.performedByID,
            ])
        }
    }

    private static func insertStatusHistory(_ entries: [StatusHistoryEntry], _ db: Database) throws {
        guard !entries.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO status_history (id, contact_id, from_status, to_status, from_lifecycle_stage,
                    to_lifecycle_stage, timestamp, changed_by, changed_by_id, reason, notes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for entry in entries {
            try statement.execute(arguments: [
                entry.id.lowercasedString, entry.contactID.lowercasedString, entry.fromStatus?.rawValue,
                entry.toStatus.rawValue, entry.fromLifecycleStage?.rawValue, entry.toLifecycleStage.rawValue,
                entry.timestamp.microsecondsSinceEpoch, entry.changedBy, entry.changedByID, entry.reason,
                entry.notes,
            ])
        }
    }

    private static func insertProcessedCommands(_ commands: [ProcessedCommand], _ db: Database) throws {
        guard !commands.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO processed_commands (command_id, fingerprint, business_id, contact_id, command_type,
                    result_status, result_body, processed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for command in commands {
            try statement.execute(arguments: [
                command.commandID, command.fingerprint, command.businessID, command.contactID, command.commandType,
                command.resultStatus, Data(command.resultBody), command.processedAt.microsecondsSinceEpoch,
            ])
        }
    }

    private static func insertEvents(_ events: [StoredEvent], _ db: Database) throws {
        guard !events.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (id, contact_id, business_id, command_id, type, time, body)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        for event in events {
            try statement.execute(arguments: [
                event.id.lowercasedString, event.contactID.lowercasedString, event.businessID, event.commandID,
                event.type, event.time.microsecondsSinceEpoch, Data(event.body),
            ])
        }
    }

    /// Inserts `messages` as packed rows, one per source partition (see ``OutboxPacking``), and
    /// returns their sequences in the order of `messages`.
    private static func insertOutbox(_ messages: [OutboxMessage], _ db: Database) throws -> [Int64] {
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
            let packed = OutboxPacking.pack(group.positions.map { messages[$0] })
            try statement.execute(arguments: [
                group.positions.count - 1, group.positions.count, Data(packed), group.sourcePartition,
            ])
            batchIDs.append(db.lastInsertedRowID)
        }
        return OutboxPacking.sequences(of: groups, batchIDs: batchIDs, count: messages.count)
    }

    /// Stores the batch's offsets; checked last, so a batch whose partition was claimed by
    /// another worker meanwhile is refused however long its writes took (see ``PartitionClaim``).
    /// The first offset is set by a partition's first stored batch only (a claimed row has
    /// none yet); a row stored before migration 5 keeps none.
    private static func upsertOffsets(_ offsets: [ConsumerOffset], _ db: Database, database: String) throws {
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

    // MARK: - Reads

    /// The contact with `id` if it belongs to `businessID`, else `nil` (another business's contact reads as missing).
    public func contact(id: UUID, businessID: String) async throws -> Contact? {
        let database = self.database
        return try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.contactColumns) FROM contacts WHERE id = ? AND business_id = ?",
                arguments: [id.lowercasedString, businessID]
            ).map { try Self.decodeContact($0, database: database) }
        }
    }

    /// Loads many contacts at once, unscoped, for the worker to decide a batch; missing ids are absent.
    public func contacts(ids: [UUID]) async throws -> [UUID: Contact] {
        guard !ids.isEmpty else { return [:] }
        let database = self.database
        return try await read { db in
            var result: [UUID: Contact] = [:]
            result.reserveCapacity(ids.count)
            // Chunks stay well below SQLite's bound-parameter limit.
            for chunk in ids.chunked(into: 500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT \(Self.contactColumns) FROM contacts WHERE id IN (\(marks))",
                    arguments: StatementArguments(chunk.map(\.lowercasedString)))
                while let row = try rows.next() {
                    let contact = try Self.decodeContact(row, database: database)
                    result[contact.id] = contact
                }
            }
            return result
        }
    }

    /// One page of a contact's interactions, newest first (timestamp descending, then last recorded
    /// first), with the total count. The rowid is recording order: rows are only ever appended.
    public func interactions(contactID: UUID, skip: Int, limit: Int) async throws -> Page<Interaction> {
        let database = self.database
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        return try await read { db in
            let id = contactID.lowercasedString
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM interactions WHERE contact_id = ?", arguments: [id])
                ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, contact_id, type, description, timestamp, outcome, next_action, scheduled_follow_up,
                        performed_by, performed_by_id
                    FROM interactions WHERE contact_id = ?
                    ORDER BY timestamp DESC, rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: [id, limit, skip])
            let items = try rows.map { row in
                try Self.decoding(table: "interactions", database: database) {
                    Interaction(
                        id: try Self.uuid(row, 0),
                        contactID: try Self.uuid(row, 1),
                        type: try Self.enumValue(row, 2),
                        description: try row.decode(atIndex: 3),
                        timestamp: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 4)),
                        outcome: try row.decode(atIndex: 5),
                        nextAction: try row.decode(atIndex: 6),
                        scheduledFollowUp: try Self.timestamp(row, 7),
                        performedBy: try row.decode(atIndex: 8),
                        performedByID: try row.decode(atIndex: 9))
                }
            }
            return Page(items: items, total: total, skip: skip, limit: limit)
        }
    }

    /// One page of a contact's status history, newest first (timestamp descending, then last
    /// recorded first), with the total count. The rowid is recording order: rows are only ever appended.
    public func statusHistory(contactID: UUID, skip: Int, limit: Int) async throws -> Page<StatusHistoryEntry> {
        let database = self.database
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        return try await read { db in
            let id = contactID.lowercasedString
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM status_history WHERE contact_id = ?", arguments: [id])
                ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, contact_id, from_status, to_status, from_lifecycle_stage, to_lifecycle_stage,
                        timestamp, changed_by, changed_by_id, reason, notes
                    FROM status_history WHERE contact_id = ?
                    ORDER BY timestamp DESC, rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: [id, limit, skip])
            let items = try rows.map { row in
                try Self.decoding(table: "status_history", database: database) {
                    StatusHistoryEntry(
                        id: try Self.uuid(row, 0),
                        contactID: try Self.uuid(row, 1),
                        fromStatus: try Self.optionalEnumValue(row, 2),
                        toStatus: try Self.enumValue(row, 3),
                        fromLifecycleStage: try Self.optionalEnumValue(row, 4),
                        toLifecycleStage: try Self.enumValue(row, 5),
                        timestamp: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 6)),
                        changedBy: try row.decode(atIndex: 7),
                        changedByID: try row.decode(atIndex: 8),
                        reason: try row.decode(atIndex: 9),
                        notes: try row.decode(atIndex: 10))
                }
            }
            return Page(items: items, total: total, skip: skip, limit: limit)
        }
    }

    /// The idempotency records of those `ids` that were processed before, keyed by command id.
    public func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand] {
        guard !ids.isEmpty else { return [:] }
        let database = self.database
        return try await read { db in
            var result: [String: ProcessedCommand] = [:]
            for chunk in ids.chunked(into: 500) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT command_id, fingerprint, business_id, contact_id, command_type, result_status,
                            result_body, processed_at
                        FROM processed_commands WHERE command_id IN (\(marks))
                        """,
                    arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let command = try Self.decoding(table: "processed_commands", database: database) {
                        ProcessedCommand(
                            commandID: try row.decode(atIndex: 0),
                            fingerprint: try row.decode(atIndex: 1),
                            businessID: try row.decode(atIndex: 2),
                            contactID: try row.decode(atIndex: 3),
                            commandType: try row.decode(atIndex: 4),
                            resultStatus: try row.decode(atIndex: 5),
                            resultBody: Array(try row.decode(Data.self, atIndex: 6)),
                            processedAt: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 7)))
                    }
                    result[command.commandID] = command
                }
            }
            return result
        }
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
            var result: [OutboxMessage] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: bound)
            while result.count < limit, let row = try rows.next() {
                let (batchID, bytes, partition) = try Self.decoding(table: "outbox_batches", database: database) {
                    (
                        try row.decode(Int64.self, atIndex: 0), try row.decode(Data.self, atIndex: 1),
                        try row.decode(Int32?.self, atIndex: 2)
                    )
                }
                let messages = try OutboxPacking.unpack(bytes, batchID: batchID, database: database)
                result.append(
                    contentsOf: messages.prefix(limit - result.count).map { entry in
                        var message = entry.message
                        message.sourcePartition = partition
                        return message
                    })
            }
            return result
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
    private static func deleteOutbox(_ sequences: [Int64], _ db: Database, database: String) throws {
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
            switch OutboxPacking.removesAll(runs, from: stored) {
            case true?:
                try delete.execute(arguments: [batchID])
            case false?:
                continue
            case nil:
                try rewriteOutboxBatch(batchID, without: runs, db, database: database)
            }
        }
    }

    /// Rewrites one packed row without the messages whose indexes fall in `runs`, or deletes it
    /// when none remain.
    private static func rewriteOutboxBatch(
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

    /// Migration 4: moves the rows of the per-message `outbox` table into `outbox_batches`, in
    /// sequence order, and drops the old table.
    private static func packLegacyOutbox(_ db: Database, database: String) throws {
        var after = Int64.min
        while true {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, topic, key, value, headers, contact_id FROM outbox
                    WHERE sequence > ? ORDER BY sequence LIMIT ?
                    """,
                arguments: [after, OutboxPacking.legacyPageSize])
            guard let last = rows.last else { break }
            let messages = try rows.map { row in
                try Self.decoding(table: "outbox", database: database) {
                    guard let headers = HeaderCoding.decode(try row.decode(Data.self, atIndex: 4)) else {
                        throw StoreError.corruptRow(database: database, table: "outbox", detail: "unreadable headers")
                    }
                    return OutboxMessage(
                        topic: try row.decode(atIndex: 1),
                        key: try row.decode(Data?.self, atIndex: 2).map { Array($0) },
                        value: Array(try row.decode(Data.self, atIndex: 3)),
                        headers: headers,
                        contactID: try row.decode(atIndex: 5))
                }
            }
            // Version 4's columns: the source partition comes with migration 7.
            let statement = try db.cachedStatement(
                sql: "INSERT INTO outbox_batches (first_index, last_index, message_count, messages) VALUES (0, ?, ?, ?)"
            )
            for group in OutboxPacking.groups(messages) {
                try statement.execute(arguments: [group.count - 1, group.count, Data(OutboxPacking.pack(group))])
            }
            after = try last.decode(atIndex: 0)
        }
        try db.execute(sql: "DROP TABLE outbox")
    }

    /// Writes `messages` into the per-message outbox of schema version 3 or older, the way builds
    /// before migration 4 did; only the upgrade test uses it.
    func insertLegacyOutboxRows(_ messages: [OutboxMessage]) async throws {
        try await write { db in
            for message in messages {
                try db.execute(
                    sql: "INSERT INTO outbox (topic, key, value, headers, contact_id) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        message.topic, message.key.map { Data($0) }, Data(message.value),
                        Data(HeaderCoding.encode(message.headers)), message.contactID,
                    ])
            }
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
    private func partitionOffsets(sql: String, group: String, topic: String) async throws -> [Int32: Int64] {
        try await read { db in
            var result: [Int32: Int64] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: [group, topic]) {
                result[try row.decode(Int32.self, atIndex: 0)] = try row.decode(Int64.self, atIndex: 1)
            }
            return result
        }
    }

    /// Reads matching events page by page, each page one short read transaction.
    ///
    /// Pages are keyed by sequence (the last one handed out), so each row is read once: a
    /// contact's events through `events_contact`, a time range by scanning the sequence range
    /// between the first and last matching event (found once through `events_time`). The time
    /// range's page query says `NOT INDEXED` so SQLite walks the rowid from the cursor rather than
    /// re-reading the whole time range through `events_time` for every page.
    public func forEachEventPage(
        _ selection: EventSelection,
        pageSize: Int,
        _ body: @escaping @Sendable ([StoredEvent]) async throws -> Void
    ) async throws {
        let limit = max(1, pageSize)
        var after: Int64
        let last: Int64
        let condition: String
        let arguments: StatementArguments
        switch selection {
        case .contact(let id):
            after = 0
            last = .max
            condition = "FROM events WHERE contact_id = ? AND sequence > ?"
            arguments = [id.lowercasedString]
        case .time(let since, let until):
            let bounds: StatementArguments = [since.microsecondsSinceEpoch, (until?.microsecondsSinceEpoch ?? .max)]
            let span = try await read { db -> (Int64, Int64)? in
                let row = try Row.fetchOne(
                    db, sql: "SELECT min(sequence), max(sequence) FROM events WHERE time >= ? AND time < ?",
                    arguments: bounds)
                guard let row, let first = try row.decode(Int64?.self, atIndex: 0),
                    let final = try row.decode(Int64?.self, atIndex: 1)
                else { return nil }
                return (first, final)
            }
            guard let (first, final) = span else { return }
            after = first - 1
            last = final
            condition = "FROM events NOT INDEXED WHERE time >= ? AND time < ? AND sequence > ?"
            arguments = bounds
        }
        while after < last {
            let cursor = after
            let page = try await fetchEvents(
                sql: """
                    SELECT sequence, id, contact_id, business_id, command_id, type, time, body \(condition)
                    ORDER BY sequence LIMIT \(limit)
                    """,
                arguments: arguments + [cursor])
            guard let next = page.last?.sequence else { return }
            try await body(page.map(\.event))
            guard page.count == limit else { return }
            after = next
        }
    }

    private func fetchEvents(
        sql: String, arguments: StatementArguments
    ) async throws -> [(sequence: Int64, event: StoredEvent)] {
        let database = self.database
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            return try rows.map { row in
                try Self.decoding(table: "events", database: database) {
                    let event = StoredEvent(
                        id: try Self.uuid(row, 1),
                        contactID: try Self.uuid(row, 2),
                        businessID: try row.decode(atIndex: 3),
                        commandID: try row.decode(atIndex: 4),
                        type: try row.decode(atIndex: 5),
                        time: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 6)),
                        body: Array(try row.decode(Data.self, atIndex: 7)))
                    return (try row.decode(Int64.self, atIndex: 0), event)
                }
            }
        }
    }

    /// Runs a trivial query; throws the same ``StoreError`` a real call would, for readiness checks.
    public func ping() async throws {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Releases the database; later calls fail with ``StoreError/closed(database:)``.
    public func close() async {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        checkpointer?.stop()
        do {
            try writer.close()
        } catch {
            logger.warning("closing SQLite store failed", metadata: ["database": "\(database)", "error": "\(error)"])
        }
    }

    // MARK: - Access and error mapping

    private func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        do {
            // IMMEDIATE takes the write lock up front, so two processes sharing the file wait on the
            // busy timeout instead of failing to upgrade a read lock mid-transaction.
            return try await writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try updates(db)
                    return .commit
                }
                guard let result else {
                    throw StoreError.unexpected(database: self.database, underlying: "transaction produced no result")
                }
                return result
            }
        } catch {
            throw storeError(from: error)
        }
    }

    private func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try checkOpen()
        do {
            return try await writer.read(value)
        } catch {
            throw storeError(from: error)
        }
    }

    private func checkOpen() throws {
        if isClosed.withLock({ $0 }) {
            throw StoreError.closed(database: database)
        }
    }

    private func storeError(from error: any Error) -> any Error {
        switch error {
        case let error as StoreError:
            return error
        case is CancellationError:
            return error
        case let error as DatabaseError:
            let underlying = Self.describe(error)
            switch error.resultCode {
            case .SQLITE_CONSTRAINT:
                return StoreError.constraintViolation(database: database, constraint: nil, underlying: underlying)
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return StoreError.transientConflict(database: database, underlying: underlying)
            case .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_NOLFS:
                return StoreError.unavailable(database: database, underlying: underlying)
            default:
                return StoreError.unexpected(database: database, underlying: underlying)
            }
        case let error as RowDecodingError:
            return StoreError.corruptRow(database: database, table: "?", detail: "\(error)")
        default:
            return StoreError.unexpected(database: database, underlying: "\(error)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.message ?? "SQLite error") (\(error.extendedResultCode))"
        }
        return "\(error)"
    }

    // MARK: - Row decoding

    private static let contactColumns = """
        id, business_id, first_name, last_name, company_name, display_name, email, phone, relationship_status,
        lifecycle_stage, last_contacted, created_at, updated_at, version
        """

    private static func decodeContact(_ row: Row, database: String) throws -> Contact {
        try decoding(table: "contacts", database: database) {
            Contact(
                id: try uuid(row, 0),
                businessID: try row.decode(atIndex: 1),
                firstName: try row.decode(atIndex: 2),
                lastName: try row.decode(atIndex: 3),
                companyName: try row.decode(atIndex: 4),
                displayName: try row.decode(atIndex: 5),
                email: try row.decode(atIndex: 6),
                phone: try row.decode(atIndex: 7),
                relationshipStatus: try enumValue(row, 8),
                lifecycleStage: try enumValue(row, 9),
                lastContacted: try timestamp(row, 10),
                createdAt: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 11)),
                updatedAt: Timestamp(microsecondsSinceEpoch: try row.decode(atIndex: 12)),
                version: try row.decode(atIndex: 13))
        }
    }

    /// Runs `body`, turning decoding failures into ``StoreError/corruptRow(database:table:detail:)``.
    private static func decoding<T>(table: String, database: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as RowValueError {
            throw StoreError.corruptRow(database: database, table: table, detail: error.detail)
        } catch {
            throw StoreError.corruptRow(database: database, table: table, detail: "\(error)")
        }
    }

    private static func uuid(_ row: Row, _ index: Int) throws -> UUID {
        let text: String = try row.decode(atIndex: index)
        guard let value = UUID(strictString: text) else {
            throw RowValueError(detail: "column \(index): \"\(text)\" is not a UUID")
        }
        return value
    }

    private static func timestamp(_ row: Row, _ index: Int) throws -> Timestamp? {
        try row.decode(Int64?.self, atIndex: index).map { Timestamp(microsecondsSinceEpoch: $0) }
    }

    private static func enumValue<Value: RawRepresentable<String>>(_ row: Row, _ index: Int) throws -> Value {
        let text: String = try row.decode(atIndex: index)
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "column \(index): unknown \(Value.self) \"\(text)\"")
        }
        return value
    }

    private static func optionalEnumValue<Value: RawRepresentable<String>>(_ row: Row, _ index: Int) throws -> Value? {
        guard let text = try row.decode(String?.self, atIndex: index) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "column \(index): unknown \(Value.self) \"\(text)\"")
        }
        return value
    }
}
