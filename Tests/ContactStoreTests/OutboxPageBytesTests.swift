import ContactDomain
import ContactStore
import Foundation
import Testing

/// A page of pending outbox messages bounded in bytes as well as in number, so that reading the
/// outbox takes the same memory whatever the size of its messages.
@Suite("Outbox pages bounded in bytes (every backend)")
struct OutboxPageBytesTests {
    @Test(
        "a page ends with the message that reaches maxBytes, holds at least one, and the rest follow",
        arguments: Backend.available)
    func pagesByBytes(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contact = UUID()
            let messages = (0..<6).map {
                Fixtures.outbox(contactID: contact, value: String(repeating: "x", count: 1_000 + $0))
            }
            try await store.apply(StoreBatch(outbox: Array(messages.prefix(3))))
            try await store.apply(StoreBatch(outbox: Array(messages.suffix(3))))
            let one = messages[0].byteCount

            // Two messages pass 1.5 messages' worth of bytes: the page ends with the second.
            let page = try await store.pendingOutbox(OutboxSelection(maxBytes: one + one / 2), limit: 100)
            #expect(page.map(\.value.count) == [1_000, 1_001])
            // A bound below one message still returns one.
            let single = try await store.pendingOutbox(OutboxSelection(maxBytes: 1), limit: 100)
            #expect(single.map(\.value.count) == [1_000])
            // The bound spans rows: one byte past the first row's three messages ends in the second.
            let firstRow = messages.prefix(3).reduce(0) { $0 + $1.byteCount }
            let spanning = try await store.pendingOutbox(OutboxSelection(maxBytes: firstRow + 1), limit: 100)
            #expect(spanning.map(\.value.count) == [1_000, 1_001, 1_002, 1_003])
            // The message bound still holds with room in bytes.
            let counted = try await store.pendingOutbox(OutboxSelection(maxBytes: 100 * one), limit: 2)
            #expect(counted.count == 2)

            try await store.markPublished(sequences: page.compactMap(\.sequence))
            let rest = try await store.pendingOutbox(OutboxSelection(maxBytes: 10 * one), limit: 100)
            #expect(rest.map(\.value.count) == [1_002, 1_003, 1_004, 1_005])
        }
    }
}
