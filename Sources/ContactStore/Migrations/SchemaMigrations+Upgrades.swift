import ContactDomain

/// Migrations 2 onwards, each a change to a released schema, in both dialects.
extension SchemaMigrations {
    // MARK: - 2: room for in-place contact updates

    /// Almost every command rewrites its contact's row (`last_contacted`, `updated_at`). With full
    /// pages PostgreSQL must put the new row version on another page and add it to all three
    /// indexes; with 30 % free space the update stays on the page and skips the indexes whose
    /// values did not change (a HOT update; measurements in docs/decisions/0010-store-write-path.md).
    /// Applies to pages written from now on; `VACUUM FULL contacts` rewrites existing ones. SQLite
    /// has no such setting.
    static let contactsFillFactor = Migration(
        version: 2,
        name: "contacts fill factor",
        sqlite: [],
        postgres: ["ALTER TABLE contacts SET (fillfactor = 70)"]
    )

    // MARK: - 3: processed commands stored in arrival order (SQLite)

    /// In SQLite, `processed_commands` was a `WITHOUT ROWID` table clustered by command id. Command
    /// ids are random, so every batch inserted its rows (about 560 bytes each, most of it the stored
    /// result) at random places in a large b-tree: about one page split or rewrite per command.
    /// Stored in a rowid table the rows are appended, and only the small unique index on
    /// `command_id` takes random inserts; uniqueness and the lookup by id are unchanged
    /// (docs/decisions/0010-store-write-path.md). PostgreSQL tables are heaps already; nothing
    /// changes there.
    static let processedCommandsInArrivalOrder = Migration(
        version: 3,
        name: "processed commands in arrival order",
        sqlite: [
            """
            CREATE TABLE processed_commands_v3 (
                command_id TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                business_id TEXT,
                contact_id TEXT,
                command_type TEXT,
                result_status INTEGER NOT NULL,
                result_body BLOB NOT NULL,
                processed_at INTEGER NOT NULL
            )
            """,
            """
            INSERT INTO processed_commands_v3 (command_id, fingerprint, business_id, contact_id, command_type,
                result_status, result_body, processed_at)
            SELECT command_id, fingerprint, business_id, contact_id, command_type, result_status, result_body,
                processed_at
            FROM processed_commands ORDER BY processed_at, command_id
            """,
            "DROP TABLE processed_commands",
            "ALTER TABLE processed_commands_v3 RENAME TO processed_commands",
            "CREATE UNIQUE INDEX processed_commands_command_id ON processed_commands (command_id)",
        ],
        postgres: []
    )

    // MARK: - 4: one outbox row per batch

    /// The outbox held one row per message: about 2,000 inserts per 1,000-command batch, and as
    /// many deletes once Kafka acknowledged them. `outbox_batches` holds one row per batch with its
    /// messages packed (see `OutboxPacking`); `first_index`, `last_index` and `message_count` let a
    /// mark decide without reading the messages whether it empties the row. Rows still pending in
    /// the old table are moved over in order. PostgreSQL compresses the packed bytes with lz4 where
    /// the server has it, so a batch's JSON takes far fewer TOAST rows (measurements in
    /// docs/decisions/0006-packed-outbox-rows.md).
    static let outboxInBatches = Migration(
        version: 4,
        name: "outbox in batches",
        sqlite: [
            """
            CREATE TABLE outbox_batches (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                first_index INTEGER NOT NULL,
                last_index INTEGER NOT NULL,
                message_count INTEGER NOT NULL CHECK (message_count > 0),
                messages BLOB NOT NULL
            )
            """
        ],
        postgres: [
            """
            CREATE TABLE outbox_batches (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                first_index integer NOT NULL,
                last_index integer NOT NULL,
                message_count integer NOT NULL CHECK (message_count > 0),
                messages bytea NOT NULL
            )
            """,
            // EXECUTE, so that a server without lz4 (or older than 14) raises a catchable error.
            """
            DO $$
            BEGIN
                EXECUTE 'ALTER TABLE outbox_batches ALTER COLUMN messages SET COMPRESSION lz4';
            EXCEPTION WHEN feature_not_supported OR syntax_error THEN
                RAISE NOTICE 'outbox_batches.messages keeps the default compression: lz4 is not available';
            END
            $$
            """,
        ],
        dataStep: .packLegacyOutbox
    )

    // MARK: - 5: where the group's decisions in this database start

    /// `replay` leaves alone, below the group's stored position, messages the workers decided
    /// without a record (401/403, dead letters). That is only true from where the workers started
    /// writing to this database: a database rebuilt after a loss starts at the group's Kafka
    /// commit, and everything before it must be replayed. Set once, by a partition's first stored
    /// batch; NULL (unknown) for rows written before this migration. Adding a nullable column is
    /// compatible with workers of the previous build still running.
    static let firstStoredOffsets = Migration(
        version: 5,
        name: "first stored offsets",
        sqlite: ["ALTER TABLE consumer_offsets ADD COLUMN first_offset INTEGER"],
        postgres: ["ALTER TABLE consumer_offsets ADD COLUMN first_offset bigint"]
    )

    // MARK: - 6: recording order breaks timestamp ties

    /// A contact's interactions and status history list newest first: by timestamp, and among equal
    /// timestamps (commands carrying one `issued_at`) by recording order, last recorded first, so
    /// the creation entry is always last. The entry id cannot break the tie: it is a name-based
    /// UUID, in no particular order.
    ///
    /// SQLite: both are rowid tables whose rows are never updated or deleted, so a new row's rowid
    /// (one more than the largest) is recording order; `VACUUM` either keeps rowids or renumbers
    /// rows in rowid order. An index on `(contact_id, timestamp)` ends in the implicit rowid and,
    /// read backwards, serves `ORDER BY timestamp DESC, rowid DESC` without a sort.
    ///
    /// PostgreSQL: a heap has no such order, so each table gets `recorded`, an identity column the
    /// batch inserts fill in the batch's order. Rows written before this migration carry no record
    /// of their order; they are numbered by timestamp, then (status history) the creation entry
    /// first, then their place in the table. These tables are only ever appended to, so that place
    /// is the order the rows were inserted in, unless a row reused space freed by a rolled-back
    /// batch. Such a row can only swap places with an entry of its contact that has the same
    /// timestamp (order by timestamp comes first), and the creation entry is last regardless: an
    /// acceptable approximation for rows whose true order was never stored. The numbering is explicit (an
    /// `UPDATE`) because the table rewrite of `ADD COLUMN … GENERATED` numbers rows in scan order,
    /// and a synchronized scan may start mid-table. The `UPDATE` writes every row once more; the
    /// space comes back at the next vacuum.
    ///
    /// Workers of the previous build keep working against the new schema: their inserts leave
    /// `recorded` to its default and their reads sort on columns that still exist.
    static let recordingOrder = Migration(
        version: 6,
        name: "recording order",
        sqlite: [
            "DROP INDEX interactions_contact_timeline",
            "CREATE INDEX interactions_contact_recorded ON interactions (contact_id, timestamp)",
            "DROP INDEX status_history_contact_timeline",
            "CREATE INDEX status_history_contact_recorded ON status_history (contact_id, timestamp)",
        ],
        postgres: [
            "ALTER TABLE interactions ADD COLUMN recorded bigint",
            """
            UPDATE interactions AS i SET recorded = n.recorded
            FROM (SELECT id, row_number() OVER (ORDER BY "timestamp", ctid) AS recorded FROM interactions) AS n
            WHERE i.id = n.id
            """,
            "ALTER TABLE interactions ALTER COLUMN recorded SET NOT NULL",
            "ALTER TABLE interactions ALTER COLUMN recorded ADD GENERATED ALWAYS AS IDENTITY",
            // setval with NULL (an empty table) does nothing: the identity then starts at 1.
            "SELECT setval(pg_get_serial_sequence('interactions', 'recorded'), max(recorded)) FROM interactions",
            "DROP INDEX interactions_contact_timeline",
            #"CREATE INDEX interactions_contact_recorded ON interactions (contact_id, "timestamp" DESC, recorded DESC)"#,
            "ALTER TABLE status_history ADD COLUMN recorded bigint",
            """
            UPDATE status_history AS h SET recorded = n.recorded
            FROM (
                SELECT id, row_number() OVER (ORDER BY "timestamp", from_status IS NOT NULL, ctid) AS recorded
                FROM status_history
            ) AS n
            WHERE h.id = n.id
            """,
            "ALTER TABLE status_history ALTER COLUMN recorded SET NOT NULL",
            "ALTER TABLE status_history ALTER COLUMN recorded ADD GENERATED ALWAYS AS IDENTITY",
            "SELECT setval(pg_get_serial_sequence('status_history', 'recorded'), max(recorded)) FROM status_history",
            "DROP INDEX status_history_contact_timeline",
            #"CREATE INDEX status_history_contact_recorded ON status_history (contact_id, "timestamp" DESC, recorded DESC)"#,
        ]
    )

    // MARK: - 7: the commands partition of each outbox row

    /// A worker drains the outbox on assignment and after a failed write; reading every pending
    /// row, it re-published its peers' in-flight rows and, with busy peers, could go on for as
    /// long as their load. With the partition of the commands topic stored per packed row, a
    /// drain takes only the rows of the partitions it is responsible for. NULL for rows written
    /// before this migration and by workers of the previous build still running: every drain
    /// takes those. Adding a nullable column is compatible with those workers.
    static let outboxSourcePartitions = Migration(
        version: 7,
        name: "outbox source partitions",
        sqlite: ["ALTER TABLE outbox_batches ADD COLUMN source_partition INTEGER"],
        postgres: ["ALTER TABLE outbox_batches ADD COLUMN source_partition integer"]
    )

    // MARK: - 8: owner epochs and contact versions

    /// `consumer_offsets.owner_epoch` fences a worker whose partition was taken over: claiming a
    /// partition raises it, and a batch naming an older epoch is refused (see `PartitionClaim`).
    /// Claiming writes the partition's row before any batch of it is stored, so `next_offset`
    /// becomes nullable (SQLite cannot drop a NOT NULL, hence the copy). `contacts.version` counts
    /// the accepted commands that changed a contact; each of them added exactly one status-history
    /// entry or one interaction, so existing contacts are numbered from those. Workers of an older
    /// build neither raise epochs nor count versions: stop them before this migration runs.
    static let ownerEpochsAndContactVersions = Migration(
        version: 8,
        name: "owner epochs and contact versions",
        sqlite: [
            """
            CREATE TABLE consumer_offsets_v8 (
                group_id TEXT NOT NULL,
                topic TEXT NOT NULL,
                partition INTEGER NOT NULL,
                next_offset INTEGER,
                first_offset INTEGER,
                owner_epoch INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (group_id, topic, partition)
            ) WITHOUT ROWID
            """,
            """
            INSERT INTO consumer_offsets_v8 (group_id, topic, partition, next_offset, first_offset)
            SELECT group_id, topic, partition, next_offset, first_offset FROM consumer_offsets
            """,
            "DROP TABLE consumer_offsets",
            "ALTER TABLE consumer_offsets_v8 RENAME TO consumer_offsets",
            "ALTER TABLE contacts ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
            contactVersionsFromHistory,
        ],
        postgres: [
            "ALTER TABLE consumer_offsets ALTER COLUMN next_offset DROP NOT NULL",
            "ALTER TABLE consumer_offsets ADD COLUMN owner_epoch bigint NOT NULL DEFAULT 0",
            "ALTER TABLE contacts ADD COLUMN version integer NOT NULL DEFAULT 0",
            contactVersionsFromHistory,
        ]
    )

    // MARK: - 9: interaction and event ids unique by construction

    /// Interaction and event ids are name-based UUIDs of their command's id (`DeterministicID`),
    /// and a command is applied at most once: its idempotency record (`processed_commands`, unique
    /// by command id) is written in the same transaction. So the ids are unique without a unique
    /// index of their own, and those two indexes took a random insert each per command, which in
    /// SQLite means a page written to the WAL and again at the checkpoint
    /// (docs/decisions/0015-ids-unique-by-construction.md). The rows keep a primary key in
    /// recording order: PostgreSQL's `recorded` for interactions, `sequence` for events; SQLite's
    /// rowid, which the copy keeps, as it keeps `events`' AUTOINCREMENT high-water mark.
    static let idsUniqueByConstruction = Migration(
        version: 9,
        name: "ids unique by construction",
        sqlite: [
            """
            CREATE TABLE interactions_v9 (
                id TEXT NOT NULL,
                contact_id TEXT NOT NULL REFERENCES contacts (id),
                type TEXT NOT NULL CHECK (type IN (\(interactionTypes))),
                description TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                outcome TEXT,
                next_action TEXT,
                scheduled_follow_up INTEGER,
                performed_by TEXT NOT NULL,
                performed_by_id TEXT NOT NULL
            )
            """,
            """
            INSERT INTO interactions_v9 (rowid, id, contact_id, type, description, timestamp, outcome, next_action,
                scheduled_follow_up, performed_by, performed_by_id)
            SELECT rowid, id, contact_id, type, description, timestamp, outcome, next_action, scheduled_follow_up,
                performed_by, performed_by_id
            FROM interactions ORDER BY rowid
            """,
            "DROP TABLE interactions",
            "ALTER TABLE interactions_v9 RENAME TO interactions",
            "CREATE INDEX interactions_contact_recorded ON interactions (contact_id, timestamp)",
            """
            CREATE TABLE events_v9 (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                business_id TEXT NOT NULL,
                command_id TEXT NOT NULL,
                type TEXT NOT NULL,
                time INTEGER NOT NULL,
                body BLOB NOT NULL
            )
            """,
            """
            INSERT INTO events_v9 (sequence, id, contact_id, business_id, command_id, type, time, body)
            SELECT sequence, id, contact_id, business_id, command_id, type, time, body FROM events ORDER BY sequence
            """,
            // A sequence is never handed out twice, even past rows that are gone: the new table
            // starts where the old one was.
            "DELETE FROM sqlite_sequence WHERE name = 'events_v9'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'events_v9', seq FROM sqlite_sequence WHERE name = 'events'",
            "DROP TABLE events",
            "ALTER TABLE events_v9 RENAME TO events",
            "CREATE INDEX events_contact ON events (contact_id, sequence)",
            "CREATE INDEX events_time ON events (time, sequence)",
        ],
        postgres: [
            "ALTER TABLE interactions DROP CONSTRAINT interactions_pkey",
            "ALTER TABLE interactions ADD PRIMARY KEY (recorded)",
            "ALTER TABLE events DROP CONSTRAINT events_id_key",
        ]
    )

    /// Numbers every contact from what it recorded (the same SQL on both backends).
    static let contactVersionsFromHistory = """
        UPDATE contacts SET version =
            (SELECT count(*) FROM status_history h WHERE h.contact_id = contacts.id)
            + (SELECT count(*) FROM interactions i WHERE i.contact_id = contacts.id)
        """
}
