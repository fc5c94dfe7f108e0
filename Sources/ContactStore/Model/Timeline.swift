import ContactDomain
import Foundation

/// One of a contact's timelines: the table it is kept in, the columns read from it and the
/// mapping of a row, the same on both backends.
///
/// A timeline is paged newest first: by timestamp descending, and among equal timestamps the last
/// recorded first. Each backend writes that query in its own SQL
/// (``ContactStore/page(of:contactID:skip:limit:)``); everything else about a timeline is here.
public struct Timeline<Item: Sendable>: Sendable {
    /// The table the timeline's rows are appended to.
    let table: String
    /// The columns a page selects, in the order ``item`` reads them.
    let columns: String
    /// The item a selected row holds.
    let item: @Sendable (any ColumnReader) throws -> Item
}

extension Timeline where Item == Interaction {
    /// A contact's interactions.
    public static var interactions: Timeline<Interaction> {
        Timeline(table: "interactions", columns: StoreColumns.interaction) { row in try RowMapping.interaction(row) }
    }
}

extension Timeline where Item == StatusHistoryEntry {
    /// A contact's status changes, the creation entry first recorded.
    public static var statusHistory: Timeline<StatusHistoryEntry> {
        Timeline(table: "status_history", columns: StoreColumns.statusHistory) { row in
            try RowMapping.statusHistoryEntry(row)
        }
    }
}

extension ContactStore {
    /// A contact's interactions, newest first, with the total count: by timestamp descending, and
    /// among equal timestamps the last recorded first (the order ``apply(_:)`` wrote them in, across
    /// batches and within one).
    public func interactions(contactID: UUID, skip: Int, limit: Int) async throws -> Page<Interaction> {
        try await page(of: .interactions, contactID: contactID, skip: skip, limit: limit)
    }

    /// A contact's status history, newest first, with the total count: by timestamp descending,
    /// and among equal timestamps the last recorded first, so the creation entry comes last.
    public func statusHistory(contactID: UUID, skip: Int, limit: Int) async throws -> Page<StatusHistoryEntry> {
        try await page(of: .statusHistory, contactID: contactID, skip: skip, limit: limit)
    }
}
