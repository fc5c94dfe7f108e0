import ContactDomain
@testable import ContactStore
import Foundation
import GRDB
import PostgresNIO
import Synchronization

// Entry points only tests use, reaching the stores' internals through `@testable import`.

extension SQLiteContactStore {
    /// Writes `messages` into the per-message outbox of schema version 3 or older, the way builds
    /// before migration 4 did.
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
}

extension PostgresContactStore {
    /// Writes `messages` into the per-message outbox of schema version 3 or older, the way builds
    /// before migration 4 did.
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

    /// How many pools this store has retired (tests watch it to see a replacement happen).
    var poolGeneration: Int { state.withLock { $0.leases.generation } }

    /// The calls of the current pool counted as holding one of its connections.
    var leasedCalls: Int { state.withLock { $0.leases.holding } }
}
