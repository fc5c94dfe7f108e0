import ContactDomain
import Foundation
import Logging
import PostgresNIO

/// How PostgreSQL and PostgresNIO failures map to ``StoreError``.
extension PostgresContactStore {
    func storeError(from error: any Error) -> any Error {
        if StoreError.passesThrough(error) { return error }
        switch error {
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

    func storeError(from error: PSQLError) -> any Error {
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
    static func isConnectionPoolError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError")
    }
}
