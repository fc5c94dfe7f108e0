import ContactDomain
import Foundation
import GRDB
import Logging

/// The schema: migrations in one transaction, and the data step that packs the legacy outbox.
extension SQLiteContactStore {
    /// Migrates up to and including version `target` only; tests use it to build an older schema.
    func migrate(through target: Int) async throws {
        let database = self.database
        let plan = try await write { db in
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
            let plan = try MigrationPlan(applied: applied, dialect: .sqlite, database: database, through: target)
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for step in plan.steps {
                switch step {
                case .execute(let statement):
                    try db.execute(sql: statement)
                case .dataStep(.packLegacyOutbox):
                    try Self.packLegacyOutbox(db, database: database)
                case .record(let version, let name):
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        arguments: [version, name, now])
                }
            }
            return plan
        }
        plan.logApplied(database: database, logger: logger)
    }

    /// The versions recorded in `schema_migrations`, ascending; empty before the first migration.
    public func appliedMigrations() async throws -> [Int] {
        try await read { db in
            guard try db.tableExists("schema_migrations") else { return [] }
            return try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations ORDER BY version")
        }
    }

    /// Migration 4: moves the rows of the per-message `outbox` table into `outbox_batches`, in
    /// sequence order, and drops the old table.
    static func packLegacyOutbox(_ db: Database, database: String) throws {
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
}
