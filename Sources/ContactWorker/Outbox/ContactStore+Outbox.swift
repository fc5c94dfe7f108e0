import ContactStore

extension ContactStore {
    /// Applies `batch` and returns its outbox rows numbered with the sequences the store gave
    /// them: what the publisher needs to publish them and then mark them published.
    func applyReturningOutbox(_ batch: StoreBatch) async throws -> [OutboxMessage] {
        let sequences = try await apply(batch)
        var rows = batch.outbox
        for index in rows.indices { rows[index].sequence = sequences[index] }
        return rows
    }
}
