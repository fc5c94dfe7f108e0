import ContactDomain
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The production store: PostgreSQL through a PostgresNIO connection pool, shared by every worker
/// process of the consumer group.
///
/// The store owns the pool's lifecycle: the first call starts `PostgresClient.run()` in a task, and
/// ``close()`` cancels it. Each call waits at most `connect_timeout` (URL option, default 10 s)
/// for a pooled connection and then fails with a retriable ``StoreError/unavailable(database:underlying:)``;
/// after such a timeout, or after a call lost its connection, the pool is retired and the next call
/// starts a fresh one, so when the server comes back that call connects at once instead of waiting
/// out a pool's reconnect backoff.
///
/// Batches are written with one statement per table, binding one array per column
/// (`INSERT … SELECT … FROM UNNEST($1, $2, …)`): a 1,000-command batch is a handful of round
/// trips, and values are always bound, never spliced into SQL.
public final class PostgresContactStore: ContactStore {
    private let settings: DatabaseURL.Postgres
    private let database: String
    private let logger: Logger
    private let state: Mutex<ClientState>

    private struct ClientState: ~Copyable {
        var client: PostgresClient?
        var runTask: Task<Void, Never>?
        /// Run tasks of pools replaced after connection failures; awaited by `close()`.
        var retiredTasks: [Task<Void, Never>] = []
        var closed = false
        /// The current pool's generation and the calls holding its connections.
        var leases = PoolLeases()
    }

    /// Creates the store; its connection pool starts with the first call, and connections are
    /// opened on demand.
    ///
    /// Prefer ``makeContactStore(url:logger:)``, which parses `DATABASE_URL`.
    public init(_ settings: DatabaseURL.Postgres, logger: Logger) {
        self.settings = settings
        self.database = DatabaseURL.postgres(settings).description
        self.logger = logger
        self.state = Mutex(ClientState())
    }

    private static func startClient(
        _ settings: DatabaseURL.Postgres, logger: Logger
    ) -> (PostgresClient, Task<Void, Never>) {
        let tls: PostgresClient.Configuration.TLS
        // libpq's meanings: prefer and require encrypt but accept any certificate (managed
        // servers and Debian's snakeoil certificate are self-signed); verify-full checks it.
        var encryptOnly = TLSConfiguration.makeClientConfiguration()
        encryptOnly.certificateVerification = .none
        switch settings.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(encryptOnly)
        case .require: tls = .require(encryptOnly)
        case .verifyFull: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: tls)
        configuration.options.maximumConnections = settings.maxConnections
        configuration.options.connectTimeout = settings.connectTimeout
        if let schema = settings.schema {
            // Quoted, so a reserved word (`user`, `select`) is a schema name like any other.
            configuration.options.additionalStartupParameters = [("search_path", "\"\(schema)\"")]
        }
        // The pool logs every failed connection attempt (several per second while the server is
        // down); the store reports outages itself, so only the pool's warnings pass through.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        let task = Task { await client.run() }
        return (client, task)
    }

    // MARK: - Migrations

    /// Creates or upgrades the schema to ``SchemaMigrations/latestVersion`` in one transaction; a no-op when up to date.
    public func migrate() async throws {
        try await migrate(through: SchemaMigrations.latestVersion)
    }

    /// Migrates up to and including version `target` only; tests use it to build an older schema.
    func migrate(through target: Int) async throws {
        let schema = settings.schema
        let database = self.database
        let logger = self.logger
        let applied: [Int] = try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                // Several workers may start at once; the lock makes them migrate one after another.
                let lockKey = schema ?? "public"
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
                if let schema {
                    // `schema` is a validated plain identifier (see DatabaseURL), safe to splice.
                    try await connection.query("CREATE SCHEMA IF NOT EXISTS \"\(unescaped: schema)\"", logger: logger)
                }
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                var applied: [(version: Int, name: String)] = []
                for try await (version, name) in try await connection.query(
                    "SELECT version, name FROM schema_migrations ORDER BY version", logger: logger
                ).decode((Int, String).self) {
                    applied.append((version, name))
                }
                let pending = try SchemaMigrations.pending(applied: applied, database: database, through: target)
                for migration in pending {
                    for statement in migration.postgres {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    switch migration.dataStep {
                    case .packLegacyOutbox:
                        try await Self.packLegacyOutbox(connection, database: database, logger: logger)
                    case nil: break
                    }
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                }
                return pending.map(\.version)
            }
        }
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["database": "\(database)", "versions": "\(applied)"])
        }
    }

    /// The versions recorded in `schema_migrations`, ascending; empty before the first migration.
    public func appliedMigrations() async throws -> [Int] {
        let logger = self.logger
        return try await withConnection { connection in
            let exists =
                try await connection.query(
                    "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
                ).collect().first?.decode(Bool.self) ?? false
            guard exists else { return [] }
            var versions: [Int] = []
            for try await version in try await connection.query(
                "SELECT version FROM schema_migrations ORDER BY version", logger: logger
            ).decode(Int.self) {
                versions.append(version)
            }
            return versions
        }
    }

    // MARK: - Batch write

    /// Writes the whole batch in one transaction: contacts, history, idempotency records, events, outbox and offsets commit together or not at all.
    @discardableResult
    public func apply(_ batch: StoreBatch) async throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        let logger = self.logger
        let database = self.database
        return try await withConnection(input: batch) { connection, input in
            try await connection.withTransaction(logger: logger) { connection in
                let batch = try input.value()
                // A lock held elsewhere (an operator's open transaction, VACUUM FULL) would block
                // the batch, and its partitions, with no end; this turns it into a retriable
                // error after 30 s (SQLSTATE 57014): the worker backs off and reports not-ready.
                try await connection.query("SET LOCAL statement_timeout = '30s'", logger: logger)
                for query in Self.batchQueries(batch) {
                    try await connection.query(query, logger: logger)
                }
                let sequences = try await Self.insertOutbox(
                    batch.outbox, connection, database: database, logger: logger)
                try await Self.deleteOutbox(batch.published, connection, database: database, logger: logger)
                try await Self.storeOffsets(batch.offsets, connection, database: database, logger: logger)
                return sequences
            }
        }
    }

    /// The statements of one batch's state and history, one per non-empty table, in foreign-key
    /// order (the outbox and the offsets follow them).
    private static func batchQueries(_ batch: StoreBatch) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        let contacts = batch.uniqueContacts
        if !contacts.isEmpty {
            queries.append(
                """
                INSERT INTO contacts (id, business_id, first_name, last_name, company_name, display_name, email,
                    phone, relationship_status, lifecycle_stage, last_contacted, created_at, updated_at, version)
                SELECT * FROM UNNEST(\(contacts.map(\.id)), \(contacts.map(\.businessID)),
                    \(PostgresNullableArray(contacts.map(\.firstName))), \(PostgresNullableArray(contacts.map(\.lastName))),
                    \(PostgresNullableArray(contacts.map(\.companyName))), \(contacts.map(\.displayName)),
                    \(PostgresNullableArray(contacts.map(\.email))), \(PostgresNullableArray(contacts.map(\.phone))),
                    \(contacts.map(\.relationshipStatus.rawValue)), \(contacts.map(\.lifecycleStage.rawValue)),
                    \(PostgresNullableArray(contacts.map { $0.lastContacted.map(PostgresTimestamp.init) })),
                    \(contacts.map { PostgresTimestamp($0.createdAt) }), \(contacts.map { PostgresTimestamp($0.updatedAt) }),
                    \(contacts.map { Int32(clamping: $0.version) }))
                ON CONFLICT (id) DO UPDATE SET
                    business_id = EXCLUDED.business_id, first_name = EXCLUDED.first_name,
                    last_name = EXCLUDED.last_name, company_name = EXCLUDED.company_name,
                    display_name = EXCLUDED.display_name, email = EXCLUDED.email, phone = EXCLUDED.phone,
                    relationship_status = EXCLUDED.relationship_status, lifecycle_stage = EXCLUDED.lifecycle_stage,
                    last_contacted = EXCLUDED.last_contacted, created_at = EXCLUDED.created_at,
                    updated_at = EXCLUDED.updated_at, version = EXCLUDED.version
                """)
        }
        // Interactions and status history list equal timestamps by recording order (the identity
        // column `recorded`); ORDER BY ordinality numbers the rows in the batch's order.
        let interactions = batch.interactions
        if !interactions.isEmpty {
            queries.append(
                """
                INSERT INTO interactions (id, contact_id, type, description, "timestamp", outcome, next_action,
                    scheduled_follow_up, performed_by, performed_by_id)
                SELECT id, contact_id, type, description, "timestamp", outcome, next_action, scheduled_follow_up,
                    performed_by, performed_by_id
                FROM UNNEST(\(interactions.map(\.id)), \(interactions.map(\.contactID)),
                    \(interactions.map(\.type.rawValue)), \(interactions.map(\.description)),
                    \(interactions.map { PostgresTimestamp($0.timestamp) }),
                    \(PostgresNullableArray(interactions.map(\.outcome))),
                    \(PostgresNullableArray(interactions.map(\.nextAction))),
                    \(PostgresNullableArray(interactions.map { $0.scheduledFollowUp.map(PostgresTimestamp.init) })),
                    \(interactions.map(\.performedBy)), \(interactions.map(\.performedByID)))
                    WITH ORDINALITY AS i (id, contact_id, type, description, "timestamp", outcome, next_action,
                        scheduled_follow_up, performed_by, performed_by_id, position)
                ORDER BY position
                """)
        }
        let history = batch.statusHistory
        if !history.isEmpty {
            queries.append(
                """
                INSERT INTO status_history (id, contact_id, from_status, to_status, from_lifecycle_stage,
                    to_lifecycle_stage, "timestamp", changed_by, changed_by_id, reason, notes)
                SELECT id, contact_id, from_status, to_status, from_lifecycle_stage, to_lifecycle_stage, "timestamp",
                    changed_by, changed_by_id, reason, notes
                FROM UNNEST(\(history.map(\.id)), \(history.map(\.contactID)),
                    \(PostgresNullableArray(history.map { $0.fromStatus?.rawValue })), \(history.map(\.toStatus.rawValue)),
                    \(PostgresNullableArray(history.map { $0.fromLifecycleStage?.rawValue })),
                    \(history.map(\.toLifecycleStage.rawValue)), \(history.map { PostgresTimestamp($0.timestamp) }),
                    \(history.map(\.changedBy)), \(history.map(\.changedByID)),
                    \(PostgresNullableArray(history.map(\.reason))), \(PostgresNullableArray(history.map(\.notes))))
                    WITH ORDINALITY AS h (id, contact_id, from_status, to_status, from_lifecycle_stage,
                        to_lifecycle_stage, "timestamp", changed_by, changed_by_id, reason, notes, position)
                ORDER BY position
                """)
        }
        let commands = batch.processedCommands
        if !commands.isEmpty {
            queries.append(
                """
                INSERT INTO processed_commands (command_id, fingerprint, business_id, contact_id, command_type,
                    result_status, result_body, processed_at)
                SELECT * FROM UNNEST(\(commands.map(\.commandID)), \(commands.map(\.fingerprint)),
                    \(PostgresNullableArray(commands.map(\.businessID))), \(PostgresNullableArray(commands.map(\.contactID))),
                    \(PostgresNullableArray(commands.map(\.commandType))), \(commands.map { Int32(clamping: $0.resultStatus) }),
                    \(commands.map { ByteBuffer(bytes: $0.resultBody) }), \(commands.map { PostgresTimestamp($0.processedAt) }))
                """)
        }
        let events = batch.events
        if !events.isEmpty {
            // ORDER BY ordinality makes the identity column number rows in the batch's order.
            queries.append(
                """
                INSERT INTO events (id, contact_id, business_id, command_id, type, time, body)
                SELECT id, contact_id, business_id, command_id, type, time, body
                FROM UNNEST(\(events.map(\.id)), \(events.map(\.contactID)), \(events.map(\.businessID)),
                    \(events.map(\.commandID)), \(events.map(\.type)), \(events.map { PostgresTimestamp($0.time) }),
                    \(events.map { ByteBuffer(bytes: $0.body) }))
                    WITH ORDINALITY AS e (id, contact_id, business_id, command_id, type, time, body, position)
                ORDER BY position
                """)
        }
        return queries
    }

    /// Stores the batch's offsets, last in its transaction: an offset naming an owner epoch must
    /// find its partition still at that epoch, or the whole batch is refused (see
    /// ``PartitionClaim``). The UPDATE waits for a claim in progress on the same row and then
    /// sees the raised epoch, so a batch and a claim of one partition never both succeed unless
    /// the batch committed first. The first offset is set by a partition's first stored batch
    /// only (a claimed row has none yet); a row stored before migration 5 keeps none.
    private static func storeOffsets(
        _ offsets: [ConsumerOffset], _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws {
        let unfenced = offsets.filter { $0.ownerEpoch == nil }
        if !unfenced.isEmpty {
            try await connection.query(
                """
                INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, first_offset)
                SELECT * FROM UNNEST(\(unfenced.map(\.group)), \(unfenced.map(\.topic)), \(unfenced.map(\.partition)),
                    \(unfenced.map(\.nextOffset)), \(PostgresNullableArray(unfenced.map(\.firstOffset))))
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
                \(fenced.map(\.nextOffset)), \(PostgresNullableArray(fenced.map(\.firstOffset))),
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

    // MARK: - Outbox

    /// Inserts `messages` as packed rows, one per source partition (see ``OutboxPacking``), in
    /// one statement, and returns their sequences in the order of `messages`.
    private static func insertOutbox(
        _ messages: [OutboxMessage], _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws -> [Int64] {
        guard !messages.isEmpty else { return [] }
        let groups = OutboxPacking.partitionGroups(messages)
        // ORDER BY position makes the identity column number the rows in the groups' order, so
        // the ids sorted ascending are the groups' ids in order.
        let rows = try await connection.query(
            """
            INSERT INTO outbox_batches (first_index, last_index, message_count, messages, source_partition)
            SELECT 0, last_index, message_count, messages, source_partition
            FROM UNNEST(\(groups.map { Int32($0.positions.count - 1) }), \(groups.map { Int32($0.positions.count) }),
                \(groups.map { ByteBuffer(bytes: OutboxPacking.pack($0.positions.map { messages[$0] })) }),
                \(PostgresNullableArray(groups.map(\.sourcePartition))))
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
    private static func deleteOutbox(
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
            guard let runs = marks[id], OutboxPacking.removesAll(runs, from: batch) != false else { continue }
            try await rewriteOutboxBatch(id, without: runs, connection, database: database, logger: logger)
        }
    }

    /// Rewrites one packed row without the messages whose indexes fall in `runs`, or deletes it
    /// when none remain.
    private static func rewriteOutboxBatch(
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

    /// Migration 4: moves the rows of the per-message `outbox` table into `outbox_batches`, in
    /// sequence order, and drops the old table.
    private static func packLegacyOutbox(
        _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws {
        // An older worker still running during a rolling deploy may be inserting: wait for it and
        // keep it out, so no row is added after the copy and lost with the table.
        try await connection.query("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE", logger: logger)
        var after = Int64.min
        while true {
            let rows = try await connection.query(
                """
                SELECT sequence, topic, key, value, headers, contact_id FROM outbox
                WHERE sequence > \(after) ORDER BY sequence LIMIT \(OutboxPacking.legacyPageSize)
                """, logger: logger
            ).collect()
            var messages: [OutboxMessage] = []
            for row in rows {
                let (sequence, topic, key, value, headerBytes, contact) = try corruptRowOnFailure(
                    database: database, table: "outbox"
                ) {
                    try row.decode((Int64, String, ByteBuffer?, ByteBuffer, ByteBuffer, String?).self)
                }
                guard let headers = HeaderCoding.decode(headerBytes.readableBytesView) else {
                    throw StoreError.corruptRow(
                        database: database, table: "outbox", detail: "unreadable headers in row \(sequence)")
                }
                messages.append(
                    OutboxMessage(
                        topic: topic, key: key.map { Array($0.readableBytesView) },
                        value: Array(value.readableBytesView),
                        headers: headers, contactID: contact))
                after = sequence
            }
            guard !messages.isEmpty else { break }
            // Version 4's columns: the source partition comes with migration 7.
            for group in OutboxPacking.groups(messages) {
                try await connection.query(
                    """
                    INSERT INTO outbox_batches (first_index, last_index, message_count, messages)
                    VALUES (0, \(group.count - 1), \(group.count), \(ByteBuffer(bytes: OutboxPacking.pack(group))))
                    """, logger: logger)
            }
        }
        try await connection.query("DROP TABLE outbox", logger: logger)
    }

    /// Writes `messages` into the per-message outbox of schema version 3 or older, the way builds
    /// before migration 4 did; only the upgrade test uses it.
    func insertLegacyOutboxRows(_ messages: [OutboxMessage]) async throws {
        let logger = self.logger
        try await withConnection { connection in
            for message in messages {
                try await connection.query(
                    """
                    INSERT INTO outbox (topic, key, value, headers, contact_id)
                    VALUES (\(message.topic), \(message.key.map { ByteBuffer(bytes: $0) }), \(ByteBuffer(bytes: message.value)),
                        \(ByteBuffer(bytes: HeaderCoding.encode(message.headers))), \(message.contactID))
                    """, logger: logger)
            }
        }
    }

    /// `body`, with a decoding failure reported as a corrupt row of `table`.
    private static func corruptRowOnFailure<T>(
        database: String, table: String = "outbox_batches", _ body: () throws -> T
    ) throws -> T {
        do {
            return try body()
        } catch let error as PostgresDecodingError {
            throw StoreError.corruptRow(
                database: database, table: table, detail: "column \(error.columnName): \(error.code)")
        }
    }

    // MARK: - Reads

    private static let contactColumns = """
        id, business_id, first_name, last_name, company_name, display_name, email, phone, relationship_status,
        lifecycle_stage, last_contacted, created_at, updated_at, version
        """

    /// The contact with `id` if it belongs to `businessID`, else `nil` (another business's contact reads as missing).
    public func contact(id: UUID, businessID: String) async throws -> Contact? {
        let rows = try await collect(
            "SELECT \(unescaped: Self.contactColumns) FROM contacts WHERE id = \(id) AND business_id = \(businessID)")
        return try rows.first.map { try decodeContact($0) }
    }

    /// Loads many contacts at once, unscoped, for the worker to decide a batch; missing ids are absent.
    public func contacts(ids: [UUID]) async throws -> [UUID: Contact] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await collect(
            "SELECT \(unescaped: Self.contactColumns) FROM contacts WHERE id = ANY(\(ids))")
        var result: [UUID: Contact] = [:]
        result.reserveCapacity(rows.count)
        for row in rows {
            let contact = try decodeContact(row)
            result[contact.id] = contact
        }
        return result
    }

    /// One page of a contact's interactions, newest first (timestamp descending, then last recorded
    /// first), with the total count.
    public func interactions(contactID: UUID, skip: Int, limit: Int) async throws -> Page<Interaction> {
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        let (total, rows) = try await page(
            count: "SELECT count(*) FROM interactions WHERE contact_id = \(contactID)",
            items: """
                SELECT id, contact_id, type, description, "timestamp", outcome, next_action, scheduled_follow_up,
                    performed_by, performed_by_id
                FROM interactions WHERE contact_id = \(contactID)
                ORDER BY "timestamp" DESC, recorded DESC LIMIT \(limit) OFFSET \(skip)
                """)
        let items = try rows.map { row in
            try decoding(table: "interactions") {
                let (id, contact, type, description, timestamp, outcome, nextAction, followUp, by, byID) =
                    try row.decode(
                        (
                            UUID, UUID, String, String, PostgresTimestamp, String?, String?, PostgresTimestamp?, String,
                            String
                        ).self)
                return Interaction(
                    id: id, contactID: contact, type: try Self.enumValue(type), description: description,
                    timestamp: timestamp.timestamp, outcome: outcome, nextAction: nextAction,
                    scheduledFollowUp: followUp?.timestamp, performedBy: by, performedByID: byID)
            }
        }
        return Page(items: items, total: total, skip: skip, limit: limit)
    }

    /// One page of a contact's status history, newest first (timestamp descending, then last
    /// recorded first), with the total count.
    public func statusHistory(contactID: UUID, skip: Int, limit: Int) async throws -> Page<StatusHistoryEntry> {
        let skip = max(skip, 0)
        let limit = max(limit, 0)
        let (total, rows) = try await page(
            count: "SELECT count(*) FROM status_history WHERE contact_id = \(contactID)",
            items: """
                SELECT id, contact_id, from_status, to_status, from_lifecycle_stage, to_lifecycle_stage,
                    "timestamp", changed_by, changed_by_id, reason, notes
                FROM status_history WHERE contact_id = \(contactID)
                ORDER BY "timestamp" DESC, recorded DESC LIMIT \(limit) OFFSET \(skip)
                """)
        let items = try rows.map { row in
            try decoding(table: "status_history") {
                let (id, contact, fromStatus, toStatus, fromStage, toStage, timestamp, by, byID, reason, notes) =
                    try row.decode(
                        (
                            UUID, UUID, String?, String, String?, String, PostgresTimestamp, String, String, String?,
                            String?
                        ).self)
                return StatusHistoryEntry(
                    id: id, contactID: contact, fromStatus: try fromStatus.map(Self.enumValue),
                    toStatus: try Self.enumValue(toStatus), fromLifecycleStage: try fromStage.map(Self.enumValue),
                    toLifecycleStage: try Self.enumValue(toStage), timestamp: timestamp.timestamp, changedBy: by,
                    changedByID: byID, reason: reason, notes: notes)
            }
        }
        return Page(items: items, total: total, skip: skip, limit: limit)
    }

    /// The idempotency records of those `ids` that were processed before, keyed by command id.
    public func processedCommands(ids: [String]) async throws -> [String: ProcessedCommand] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await collect(
            """
            SELECT command_id, fingerprint, business_id, contact_id, command_type, result_status, result_body,
                processed_at
            FROM processed_commands WHERE command_id = ANY(\(ids))
            """)
        var result: [String: ProcessedCommand] = [:]
        for row in rows {
            let command = try decoding(table: "processed_commands") {
                let (id, fingerprint, business, contact, type, status, body, processedAt) = try row.decode(
                    (String, String, String?, String?, String?, Int32, ByteBuffer, PostgresTimestamp).self)
                return ProcessedCommand(
                    commandID: id, fingerprint: fingerprint, businessID: business, contactID: contact,
                    commandType: type, resultStatus: Int(status), resultBody: Array(body.readableBytesView),
                    processedAt: processedAt.timestamp)
            }
            result[command.commandID] = command
        }
        return result
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
                var result: [OutboxMessage] = []
                let rows = try await connection.query(
                    "SELECT id, messages, source_partition FROM outbox_batches WHERE id = ANY(\(needed)) ORDER BY id",
                    logger: logger)
                for try await row in rows where result.count < limit {
                    let (id, bytes, partition) = try Self.corruptRowOnFailure(database: database) {
                        try row.decode((Int64, ByteBuffer, Int32?).self)
                    }
                    let messages = try OutboxPacking.unpack(bytes.readableBytesView, batchID: id, database: database)
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
    private func partitionOffsets(_ query: PostgresQuery) async throws -> [Int32: Int64] {
        var result: [Int32: Int64] = [:]
        for row in try await collect(query) {
            let (partition, offset) = try decoding(table: "consumer_offsets") {
                try row.decode((Int32, Int64).self)
            }
            result[partition] = offset
        }
        return result
    }

    /// Reads matching events in keyset pages by sequence, each page one short query, so a long
    /// back-fill holds no statement, snapshot or connection while the pages are published (a
    /// server's `statement_timeout` cannot cut it off halfway). A contact's events come through
    /// `events_contact`. A time range is walked through the primary key in windows of sequences
    /// between its first and last event (found once through `events_time`), so every page reads
    /// a bounded slice, never the whole range again.
    public func forEachEventPage(
        _ selection: EventSelection,
        pageSize: Int,
        _ body: @escaping @Sendable ([StoredEvent]) async throws -> Void
    ) async throws {
        let limit = max(1, pageSize)
        let columns = "sequence, id, contact_id, business_id, command_id, type, time, body"
        switch selection {
        case .contact(let id):
            var cursor: Int64 = 0
            while true {
                let rows = try await collect(
                    """
                    SELECT \(unescaped: columns) FROM events
                    WHERE contact_id = \(id) AND sequence > \(cursor) ORDER BY sequence LIMIT \(limit)
                    """)
                let page = try rows.map(decodeEvent)
                guard let last = page.last else { return }
                try await body(page.map(\.event))
                guard page.count == limit else { return }
                cursor = last.sequence
            }
        case .time(let since, let until):
            // No upper bound: a timestamp far in the future would be outside PostgreSQL's range.
            func inRange(_ prefix: String, _ suffix: String) -> PostgresQuery {
                if let until {
                    return
                        "\(unescaped: prefix) time >= \(PostgresTimestamp(since)) AND time < \(PostgresTimestamp(until)) \(unescaped: suffix)"
                }
                return "\(unescaped: prefix) time >= \(PostgresTimestamp(since)) \(unescaped: suffix)"
            }
            let spanRows = try await collect(inRange("SELECT min(sequence), max(sequence) FROM events WHERE", ""))
            guard let span = spanRows.first else { return }
            let (lowest, highest) = try decoding(table: "events") { try span.decode((Int64?, Int64?).self) }
            guard let first = lowest, let last = highest else { return }
            // A few pages' worth of sequences per query: bounded work, few round trips.
            let window = Int64(limit) * 4
            var cursor = first - 1
            var page: [StoredEvent] = []
            while cursor < last {
                let windowEnd = min(cursor + window, last)
                let rows = try await collect(
                    inRange(
                        "SELECT \(columns) FROM events WHERE sequence > \(cursor) AND sequence <= \(windowEnd) AND",
                        "ORDER BY sequence LIMIT \(limit - page.count)"))
                let read = try rows.map(decodeEvent)
                page += read.map(\.event)
                // A full page may have stopped inside the window: continue after its last row.
                cursor = page.count == limit ? (read.last?.sequence ?? windowEnd) : windowEnd
                if page.count == limit {
                    try await body(page)
                    page.removeAll(keepingCapacity: true)
                }
            }
            if !page.isEmpty { try await body(page) }
        }
    }

    private func decodeEvent(_ row: PostgresRow) throws -> (sequence: Int64, event: StoredEvent) {
        try decoding(table: "events") {
            let (sequence, id, contact, business, command, type, time, body) = try row.decode(
                (Int64, UUID, UUID, String, String, String, PostgresTimestamp, ByteBuffer).self)
            return (
                sequence,
                StoredEvent(
                    id: id, contactID: contact, businessID: business, commandID: command, type: type,
                    time: time.timestamp, body: Array(body.readableBytesView))
            )
        }
    }

    /// Runs a trivial query; throws the same ``StoreError`` a real call would, for readiness checks.
    public func ping() async throws {
        _ = try await collect("SELECT 1")
    }

    /// Releases the database; later calls fail with ``StoreError/closed(database:)``.
    public func close() async {
        let tasks: [Task<Void, Never>] = state.withLock { state in
            state.closed = true
            state.client = nil
            defer {
                state.runTask = nil
                state.retiredTasks = []
            }
            return state.retiredTasks + (state.runTask.map { [$0] } ?? [])
        }
        for task in tasks {
            task.cancel()
            await task.value
        }
    }

    // MARK: - Connections

    private func collect(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    private func page(count: PostgresQuery, items: PostgresQuery) async throws -> (Int, [PostgresRow]) {
        let logger = self.logger
        let database = self.database
        return try await withConnection { connection in
            // One snapshot for both, so the total matches the page (READ COMMITTED would take one
            // per statement).
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                let countRows = try await connection.query(count, logger: logger).collect()
                guard let total = try countRows.first?.decode(Int64.self) else {
                    throw StoreError.unexpected(database: database, underlying: "count(*) returned no row")
                }
                let rows = try await connection.query(items, logger: logger).collect()
                return (Int(total), rows)
            }
        }
    }

    /// Leases a pooled connection for `body`, waiting at most `connect_timeout` for it, and maps
    /// every failure to a ``StoreError``. Internal so tests can hold a connection themselves.
    ///
    /// The call holds its connection, as far as retiring the pool goes, until it returns here:
    /// a body abandoned after a lost connection stops counting when its caller gets the error.
    func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let (client, call) = try beginCall()
        do {
            // Weak: an abandoned body stays suspended for good and must not keep the store alive.
            let value = try await PendingLease.run(client, timeout: settings.connectTimeout) { [weak self] connection in
                self?.state.withLock { $0.leases.hold(call) }
                return try await body(connection)
            }
            state.withLock { $0.leases.end(call) }
            return value
        } catch {
            state.withLock { $0.leases.end(call) }
            switch error {
            case is PendingLease<Result>.ConnectionLost:
                replaceClient(generation: call.generation, after: "losing a connection")
                throw StoreError.unavailable(
                    database: database,
                    underlying: "the connection closed during the call (server restarted or unreachable?)")
            case is PendingLease<Result>.Timeout:
                replaceClient(generation: call.generation, after: "failing to connect")
                throw StoreError.unavailable(
                    database: database,
                    underlying: "no connection within \(settings.connectTimeout) (server down or unreachable?)")
            case _ where Self.isConnectionPoolError(error):
                replaceClient(generation: call.generation, after: "a connection pool error")
                throw storeError(from: error)
            default:
                throw storeError(from: error)
            }
        }
    }

    /// ``withConnection(_:)`` for a body that works on `input` (a batch): the body reads it
    /// through a ``CallInput`` that is emptied when the call returns, so a body abandoned after a
    /// lost connection does not keep the input in memory (only what it had already read out).
    func withConnection<Input: Sendable, Result: Sendable>(
        input: Input,
        _ body: @escaping @Sendable (PostgresConnection, CallInput<Input>) async throws -> Result
    ) async throws -> Result {
        let input = CallInput(input)
        defer { input.release() }
        return try await withConnection { connection in try await body(connection, input) }
    }

    /// How many pools this store has retired (tests watch it to see a replacement happen).
    var poolGeneration: Int { state.withLock { $0.leases.generation } }

    /// The calls of the current pool counted as holding one of its connections.
    var leasedCalls: Int { state.withLock { $0.leases.holding } }

    /// The current pool (started if there is none) and a call begun on it.
    private func beginCall() throws -> (PostgresClient, PoolLeases.Call) {
        let settings = self.settings
        let logger = self.logger
        return try state.withLock { state in
            guard !state.closed else { throw StoreError.closed(database: database) }
            let client: PostgresClient
            if let current = state.client {
                client = current
            } else {
                let (started, task) = Self.startClient(settings, logger: logger)
                state.client = started
                state.runTask = task
                client = started
            }
            return (client, state.leases.begin())
        }
    }

    /// Retires the pool of `generation` after a call of it could not connect or lost its
    /// connection, unless another call already did; the next call starts a fresh one. The old
    /// pool backs off exponentially (up to a minute) between attempts, and so would a replacement
    /// started now while the server is still down; a pool started by the next call tries at once,
    /// so recovery follows the worker's own retry cadence.
    ///
    /// A pool with a call holding a connection is not retired: retiring it would close the
    /// connections in use mid-transaction. After a timeout, such a call means the server answers
    /// and the pool is only busy. After a lost connection, the other connections may well be
    /// alive (one server process was terminated); if the server went away they fail too, and once
    /// none is held, the next call that cannot connect retires the pool. A call stops holding a
    /// connection when it returns to its caller, even when its body is stuck (see ``PoolLeases``).
    private func replaceClient(generation: Int, after reason: String) {
        let oldTask: Task<Void, Never>? = state.withLock { state in
            guard !state.closed, state.client != nil, state.leases.retire(generation) else { return nil }
            let old = state.runTask
            state.client = nil
            state.runTask = nil
            if let old { state.retiredTasks.append(old) }
            return old
        }
        if let oldTask {
            logger.warning(
                "replacing PostgreSQL connection pool after \(reason)", metadata: ["database": "\(database)"])
            oldTask.cancel()
        }
    }

    // MARK: - Errors

    private func storeError(from error: any Error) -> any Error {
        switch error {
        case let error as StoreError:
            return error
        case is CancellationError:
            return error
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.commitError ?? error.beginError {
                return storeError(from: inner)
            }
            return StoreError.unexpected(
                database: database, underlying: "transaction failed: \(String(reflecting: error))")
        case let error as PSQLError:
            return storeError(from: error)
        case let error as PostgresDecodingError:
            return StoreError.corruptRow(
                database: database, table: "?",
                detail: "column \(error.columnName) (\(error.postgresType)): \(error.code)")
        case is RowValueError:
            return StoreError.corruptRow(database: database, table: "?", detail: "\(error)")
        case is IOError, is ChannelError:
            return StoreError.unavailable(database: database, underlying: "\(error)")
        case _ where Self.isConnectionPoolError(error):
            return StoreError.unavailable(database: database, underlying: "connection pool: \(error)")
        default:
            return StoreError.unexpected(database: database, underlying: String(reflecting: error))
        }
    }

    private func storeError(from error: PSQLError) -> any Error {
        switch error.code {
        case .server:
            let sqlState = error.serverInfo?[.sqlState] ?? ""
            var message = error.serverInfo?[.message] ?? "server error"
            if let detail = error.serverInfo?[.detail] { message += " (\(detail))" }
            message += " [SQLSTATE \(sqlState)]"
            switch Self.serverErrorKind(sqlState: sqlState) {
            case .transientConflict:
                return StoreError.transientConflict(database: database, underlying: message)
            case .unavailable:
                return StoreError.unavailable(database: database, underlying: message)
            case .constraintViolation:
                return StoreError.constraintViolation(
                    database: database, constraint: error.serverInfo?[.constraintName], underlying: message)
            case .unexpected:
                return StoreError.unexpected(database: database, underlying: message)
            }
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .sslUnsupported, .failedToAddSSLHandler:
            var message = "\(error.code)"
            if let underlying = error.underlying { message += ": \(underlying)" }
            return StoreError.unavailable(database: database, underlying: message)
        case .queryCancelled:
            return CancellationError()
        default:
            var message = "\(error.code)"
            if let underlying = error.underlying { message += ": \(underlying)" }
            return StoreError.unexpected(database: database, underlying: message)
        }
    }

    /// How the worker treats a server error, by SQLSTATE.
    enum ServerErrorKind: Equatable {
        /// Retry the transaction at once (serialization failure, deadlock, lock not available).
        case transientConflict
        /// Back off and retry: the server cannot serve now but will (connection failures, shut
        /// down or restarting, statement timeout or cancel, resources exhausted, system I/O
        /// errors, rejected credentials during a rotation, read-only during a failover), or only
        /// an operator can fix it (class 42: a privilege missing after a migration, a table
        /// dropped). No command can cause a class 42 error (every value is a bound parameter), so
        /// setting commands aside one by one would dead-letter every command; waiting keeps
        /// them, reports not ready and resumes once the grant or table is back.
        case unavailable
        /// The data breaks a constraint: retrying the same batch cannot help.
        case constraintViolation
        /// Anything else: a bug or a schema the worker does not know.
        case unexpected
    }

    /// The ``ServerErrorKind`` of a SQLSTATE. Only `unexpected` and `constraintViolation` make
    /// the worker set commands aside one by one (and dead-letter those that keep failing), so
    /// every state a healthy server can pass through must be retriable.
    static func serverErrorKind(sqlState: String) -> ServerErrorKind {
        switch sqlState {
        case "40001", "40P01", "55P03":
            return .transientConflict
        case "25006":
            return .unavailable
        case let state where ["08", "28", "42", "53", "57", "58"].contains(state.prefix(2)):
            return .unavailable
        case let state where state.hasPrefix("23"):
            return .constraintViolation
        default:
            return .unexpected
        }
    }

    /// Whether `error` is PostgresNIO's `ConnectionPoolError` (e.g. its circuit breaker tripped
    /// after a minute of failed connection attempts). That type lives in an underscored module
    /// this package cannot import, so it is recognised by name.
    private static func isConnectionPoolError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError")
    }

    // MARK: - Row decoding

    private func decodeContact(_ row: PostgresRow) throws -> Contact {
        try decoding(table: "contacts") {
            let (
                id, business, first, last, company, display, email, phone, status, stage, lastContacted, created,
                updated, version
            ) = try row.decode(
                (
                    UUID, String, String?, String?, String?, String, String?, String?, String, String,
                    PostgresTimestamp?, PostgresTimestamp, PostgresTimestamp, Int32
                ).self)
            return Contact(
                id: id, businessID: business, firstName: first, lastName: last, companyName: company,
                displayName: display, email: email, phone: phone, relationshipStatus: try Self.enumValue(status),
                lifecycleStage: try Self.enumValue(stage), lastContacted: lastContacted?.timestamp,
                createdAt: created.timestamp, updatedAt: updated.timestamp, version: Int(version))
        }
    }

    private func decoding<T>(table: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RowValueError {
            throw StoreError.corruptRow(database: database, table: table, detail: error.detail)
        } catch let error as PostgresDecodingError {
            throw StoreError.corruptRow(
                database: database, table: table, detail: "column \(error.columnName): \(error.code)")
        }
    }

    private static func enumValue<Value: RawRepresentable<String>>(_ text: String) throws -> Value {
        guard let value = Value(rawValue: text) else {
            throw RowValueError(detail: "unknown \(Value.self) \"\(text)\"")
        }
        return value
    }
}
