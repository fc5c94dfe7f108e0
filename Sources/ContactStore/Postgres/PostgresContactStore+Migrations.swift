import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// The schema: migrations in one transaction under an advisory lock, and the data step that packs
/// the legacy outbox.
extension PostgresContactStore {
    /// Migrates up to and including version `target` only; tests use it to build an older schema.
    func migrate(through target: Int) async throws {
        let schema = settings.schema
        let database = self.database
        let logger = self.logger
        let plan = try await withConnection { connection in
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
                let plan = try MigrationPlan(
                    applied: applied, dialect: .postgres, database: database, through: target)
                for step in plan.steps {
                    switch step {
                    case .execute(let statement):
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    case .dataStep(.packLegacyOutbox):
                        try await Self.packLegacyOutbox(connection, database: database, logger: logger)
                    case .record(let version, let name):
                        try await connection.query(
                            "INSERT INTO schema_migrations (version, name) VALUES (\(version), \(name))", logger: logger
                        )
                    }
                }
                return plan
            }
        }
        plan.logApplied(database: database, logger: logger)
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

    /// Migration 4: moves the rows of the per-message `outbox` table into `outbox_batches`, in
    /// sequence order, and drops the old table.
    static func packLegacyOutbox(
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
}
