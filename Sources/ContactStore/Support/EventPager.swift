import ContactDomain

/// The keyset walk both backends read events with.
///
/// Each page is the events after the last sequence handed out, in sequence order, so every row is
/// read once, and no statement, snapshot or connection is held while `body` works on a page.
struct EventPager {
    /// The events per page: at least one, so every page makes progress.
    let limit: Int

    init(pageSize: Int) {
        limit = max(1, pageSize)
    }

    /// Hands `body` the pages `fetch` reads, from the first sequence after `first` on, until a
    /// page comes back short or the cursor reaches `last`.
    ///
    /// - Parameter fetch: up to ``limit`` events with a sequence above the given cursor, in
    ///   sequence order.
    func walk(
        after first: Int64, through last: Int64 = .max,
        body: EventPageBody,
        fetch: (Int64) async throws -> [(sequence: Int64, event: StoredEvent)]
    ) async throws {
        var cursor = first
        while cursor < last {
            let page = try await fetch(cursor)
            guard let next = page.last?.sequence else { return }
            try await body(page.map(\.event))
            guard page.count == limit else { return }
            cursor = next
        }
    }
}
