/// The skip and limit of a page request as the stores apply them: a negative value reads as zero.
struct PageWindow: Equatable {
    /// How many items to skip, at least zero.
    let skip: Int
    /// How many items the page may hold, at least zero.
    let limit: Int

    init(skip: Int, limit: Int) {
        self.skip = max(skip, 0)
        self.limit = max(limit, 0)
    }

    /// The page of `items` out of `total` read through this window.
    func page<Item>(_ items: [Item], total: Int) -> Page<Item> {
        Page(items: items, total: total, skip: skip, limit: limit)
    }
}
