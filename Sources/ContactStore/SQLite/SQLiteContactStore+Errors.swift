import ContactDomain
import Foundation
import GRDB
import Logging

/// How SQLite and GRDB failures map to ``StoreError``.
extension SQLiteContactStore {
    func storeError(from error: any Error) -> any Error {
        if StoreError.passesThrough(error) { return error }
        switch error {
        case let error as DatabaseError
        where Task.isCancelled && (error.resultCode == .SQLITE_INTERRUPT || error.resultCode == .SQLITE_ABORT):
            // GRDB interrupts the statement of a cancelled task. Its own execution reports that as
            // CancellationError, and so does this for the statements run by SQLiteRowBinder.
            return CancellationError()
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

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.message ?? "SQLite error") (\(error.extendedResultCode))"
        }
        return "\(error)"
    }
}
