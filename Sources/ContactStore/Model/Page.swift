/// One page of a newest-first listing (interactions, status history) plus the size of the whole list.
///
/// The HTTP read side returns `total`, `skip` and `limit` next to the items, so a client can page
/// without a second count query.
public struct Page<Item: Sendable>: Sendable {
    /// The items of this page, newest first (timestamp descending, then the last recorded first).
    public var items: [Item]
    /// How many items the whole list holds, independent of `skip` and `limit`.
    public var total: Int
    /// How many items were skipped before this page.
    public var skip: Int
    /// The largest number of items this page could hold.
    public var limit: Int

    /// Creates a page; stores build these, callers usually only read them.
    public init(items: [Item], total: Int, skip: Int, limit: Int) {
        self.items = items
        self.total = total
        self.skip = skip
        self.limit = limit
    }
}

extension Page: Equatable where Item: Equatable {}
