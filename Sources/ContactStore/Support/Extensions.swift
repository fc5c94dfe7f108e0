import Foundation

extension UUID {
    /// The canonical lower-case text form, as stored in SQLite and compared in queries.
    var lowercasedString: String { uuidString.lowercased() }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
