import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// Connection leasing: the pool, its timeouts, and retiring a pool after connection failures.
extension PostgresContactStore {
    func collect(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    func page(count: PostgresQuery, items: PostgresQuery) async throws -> (Int, [PostgresRow]) {
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

    /// The current pool (started if there is none) and a call begun on it.
    func beginCall() throws -> (PostgresClient, PoolLeases.Call) {
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
    func replaceClient(generation: Int, after reason: String) {
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
}
