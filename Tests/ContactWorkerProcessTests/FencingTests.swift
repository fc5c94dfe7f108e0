import ContactDomain
import ContactStore
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Logging
import PostgresNIO
import Testing

extension WorkerProcessTests {
    @Suite("Fencing a worker whose partition was taken over (owner epochs)")
    struct FencingTests {
        @Test(
            "a worker paused past its session while its batch waits on a lock has that batch refused; the topics show one owner's decisions"
        )
        func pausedWorkerIsFenced() async throws {
            guard let harness = try await WorkerHarness.make(.postgres, commandPartitions: 1) else { return }
            let group = "fence-\(UUID().uuidString.prefix(8).lowercased())"
            let workers = try WorkerProcesses(harness: harness, group: group)
            let locker = try await RowLocker.connect(databaseURL: harness.databaseURL)
            do {
                try await scenario(harness: harness, workers: workers, locker: locker)
            } catch {
                Issue.record("sessions:\n\((try? await locker.activity()) ?? "-")\nworker logs:\n\(workers.tails())")
                await workers.killAll()
                await locker.close()
                await harness.close()
                throw error
            }
            await workers.killAll()
            await locker.close()
            await harness.close()
            workers.removeLogs()
        }

        private func scenario(harness: WorkerHarness, workers: WorkerProcesses, locker: RowLocker) async throws {
            let token = try await harness.token()
            let contact = "00000000-0000-4000-f000-000000000001"
            let create = TestCommand(
                type: "CreateContact", contactID: contact, payload: #"{"company_name": "Fenced Co"}"#, token: token)
            let qualify = TestCommand(
                type: "UpdateStatus", contactID: contact, issuedAt: "2024-01-10T14:31:00Z",
                payload: #"{"relationship_status": "qualified_lead"}"#, token: token)

            let first = try workers.start("worker-1")
            try await harness.send([harness.message(create)])
            _ = try await harness.read(harness.topics.results, count: 1, seconds: 90)

            // The test holds the contact's row: worker-1's batch for `qualify` waits for it inside
            // its transaction.
            try await locker.lockContact(contact)
            try await harness.send([harness.message(qualify)])
            try await eventually(60, "worker-1's batch to wait for the row lock") {
                try await locker.waitingLocks() > 0
            }

            // Paused past its session: the group gives the partition to worker-2, whose claim
            // raises the owner epoch.
            first.send(SIGSTOP)
            let second = try workers.start("worker-2")
            try await eventually(90, "worker-2 to be assigned the partition") {
                ((try? String(contentsOf: second.log, encoding: .utf8)) ?? "").contains("partitions assigned")
            }
            // worker-2 reads the partition from after `create` and decides `qualify` too.
            try await Task.sleep(for: .seconds(2))

            // The lock goes to worker-1's statement first (it queued first), but worker-1 is still
            // paused; once resumed, its transaction reaches the epoch check and is refused.
            try await locker.release()
            try await Task.sleep(for: .seconds(1))
            first.send(SIGCONT)

            let results = try await harness.read(harness.topics.results, count: 2, seconds: 90).map(
                PublishedResult.init)
            // Anything worker-1 would still publish has had time to arrive before the counts.
            try await Task.sleep(for: .seconds(3))
            let allResults = try await harness.read(
                harness.topics.results, count: Int(try await harness.messageCount(harness.topics.results))
            ).map(PublishedResult.init)
            #expect(results.count >= 2)
            let answers = allResults.filter { $0.commandID == qualify.commandID }
            #expect(answers.count == 1, "one answer for the command, from its one owner: \(answers.map(\.json))")
            #expect(answers.first?.status == 200)
            #expect(answers.first?.duplicate == false)
            #expect(answers.first?.body?["old_status"] == .string("prospect"))
            let events = try await harness.read(
                harness.topics.events, count: Int(try await harness.messageCount(harness.topics.events)))
            let changes = events.compactMap { try? JSONValue.parse($0.value) }.filter {
                $0["commandid"] == .string(qualify.commandID)
            }
            #expect(changes.count == 1, "one StatusChanged for the command: \(changes.count)")
            #expect(changes.first?["contactversion"] == .integer(2))
            #expect(try await harness.messageCount(harness.topics.deadLetters) == 0)
            let log = (try? String(contentsOf: first.log, encoding: .utf8)) ?? ""
            #expect(log.contains("another worker took over partitions"), "worker-1 must say its batch was refused")
            let stored = try await harness.store.contact(
                id: try #require(UUID(uuidString: contact)), businessID: "biz-1")
            #expect(stored?.relationshipStatus == .qualifiedLead)
            #expect(stored?.version == 2)
            #expect(
                try await harness.store.statusHistory(
                    contactID: try #require(UUID(uuidString: contact)), skip: 0, limit: 10
                ).total == 2)
        }
    }
}

/// A PostgreSQL session of the test's own that holds a contact's row lock, and counts the lock
/// requests waiting on the contacts table of the worker's schema.
private final class RowLocker: Sendable {
    private let connection: PostgresConnection
    private let schema: String
    private let logger = Logger(label: "FencingTests")

    private init(connection: PostgresConnection, schema: String) {
        self.connection = connection
        self.schema = schema
    }

    static func connect(databaseURL: String) async throws -> RowLocker {
        guard case .postgres(let settings) = try DatabaseURL(parsing: databaseURL) else {
            throw HarnessError(description: "the fencing test needs PostgreSQL, got \(databaseURL)")
        }
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: settings.host, port: settings.port, username: settings.username, password: settings.password,
                database: settings.database, tls: .disable),
            id: 1, logger: Logger(label: "FencingTests"))
        return RowLocker(connection: connection, schema: settings.schema ?? "public")
    }

    func lockContact(_ id: String) async throws {
        try await connection.query("BEGIN", logger: logger)
        try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT 1 FROM \"\(schema)\".contacts WHERE id = '\(id)' FOR UPDATE"),
            logger: logger)
    }

    func release() async throws {
        try await connection.query("COMMIT", logger: logger)
    }

    /// Sessions waiting, directly or behind another waiter, for the lock this session holds.
    func waitingLocks() async throws -> Int {
        let rows = try await connection.query(
            """
            WITH RECURSIVE waiting (pid) AS (
                SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
                UNION
                SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY(pg_blocking_pids(a.pid))
            )
            SELECT count(*) FROM waiting
            """, logger: logger
        ).collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// The server's sessions, for a failure message.
    func activity() async throws -> String {
        let rows = try await connection.query(
            """
            SELECT pid, coalesce(state, ''), coalesce(wait_event_type, ''), coalesce(wait_event, ''),
                pg_blocking_pids(pid)::text, left(query, 60)
            FROM pg_stat_activity WHERE datname = current_database()
            """, logger: logger
        ).collect()
        return try rows.map { row in
            let (pid, state, type, event, blockers, query) = try row.decode(
                (Int32, String, String, String, String, String).self)
            return "\(pid) \(state) \(type)/\(event) blocked by \(blockers): \(query)"
        }.joined(separator: "\n")
    }

    func close() async {
        try? await connection.close()
    }
}
