import ContactDomain
import ContactStore
import Foundation
import Synchronization

/// What earlier batches planned but the store does not have (yet), so a batch planned on top of
/// it sees it as if it were written: the contacts as changed and the commands as processed.
///
/// A dry run keeps one for its whole range: it grows with the range, by each touched contact
/// and each new command's idempotency record without its result body (a dry run publishes no
/// result, and the body is most of a record: about 200 bytes per new command are left). The
/// worker makes one per batch from the batch before it, which is still being written while the
/// next one is planned.
public final class UnwrittenState: Sendable {
    struct State: Sendable {
        var contacts: [UUID: Contact] = [:]
        var processed: [String: ProcessedCommand] = [:]
    }

    let state = Mutex(State())
    /// Whether records keep their result bodies (a duplicate's result is published from it).
    let keepsResultBodies: Bool
    /// Whether a plan made on top of this state adds its own outcome to it. A dry run plans batch
    /// after batch on one state, so each must see the ones before; the state of one planned batch
    /// (``init(planned:)``) serves the single plan made on top of it and is dropped after it.
    let gathersPlans: Bool

    /// Nothing unwritten yet; for a dry run (records are kept without their result bodies).
    public init() {
        keepsResultBodies = false
        gathersPlans = true
    }

    /// What `batch` writes: its contacts' final states and its idempotency records, for the one
    /// plan made on top of it.
    public init(planned batch: StoreBatch) {
        keepsResultBodies = true
        gathersPlans = false
        var state = State()
        state.contacts.reserveCapacity(batch.contacts.count)
        state.processed.reserveCapacity(batch.processedCommands.count)
        for contact in batch.contacts { state.contacts[contact.id] = contact }
        for record in batch.processedCommands { state.processed[record.commandID] = record }
        self.state.withLock { $0 = state }
    }
}
