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

    /// The one batch planned and not written (``init(planned:)``), with where its contacts and
    /// records are in it: the batch is kept anyway until it is written, so its values are found
    /// there instead of copied, every string of them retained, into a state of their own.
    private struct Planned: Sendable {
        var batch: StoreBatch
        var contactPositions: [UUID: Int]
        var recordPositions: [String: Int]
    }

    /// The plans gathered so far (a dry run's, ``gather(_:)``); empty for the state of one planned
    /// batch.
    private let state = Mutex(State())
    /// The one planned batch; nil for a dry run's state.
    private let planned: Planned?

    /// Nothing unwritten yet; for a dry run, which gathers its plans (``gather(_:)``).
    public init() {
        planned = nil
    }

    /// What `batch` writes: its contacts' final states and its idempotency records, for the one
    /// plan made on top of it.
    public init(planned batch: StoreBatch) {
        // The last position of an id wins, as the batch's last write of it does.
        var contactPositions: [UUID: Int] = [:]
        contactPositions.reserveCapacity(batch.contacts.count)
        for (position, id) in batch.contacts.lazy.map(\.id).enumerated() { contactPositions[id] = position }
        var recordPositions: [String: Int] = [:]
        recordPositions.reserveCapacity(batch.processedCommands.count)
        for (position, id) in batch.processedCommands.lazy.map(\.commandID).enumerated() {
            recordPositions[id] = position
        }
        planned = Planned(batch: batch, contactPositions: contactPositions, recordPositions: recordPositions)
    }

    /// Puts what this state holds for `commandIDs` and `contactIDs` into `processed` and
    /// `contacts`, over what the store returned for them.
    func carry(
        commandIDs: [String], into processed: inout [String: ProcessedCommand], contactIDs: Set<UUID>,
        into contacts: inout [UUID: Contact]
    ) {
        if let planned {
            for id in commandIDs {
                if let position = planned.recordPositions[id] {
                    processed[id] = planned.batch.processedCommands[position]
                }
            }
            for id in contactIDs {
                if let position = planned.contactPositions[id] { contacts[id] = planned.batch.contacts[position] }
            }
        } else {
            let carried = state.withLock { $0 }
            for id in commandIDs { if let record = carried.processed[id] { processed[id] = record } }
            for id in contactIDs { if let contact = carried.contacts[id] { contacts[id] = contact } }
        }
    }

    /// Adds what `batch` writes to the plans gathered, for the next plan of a dry run. A dry run
    /// plans batch after batch on one state, so each must see the ones before. Its records are
    /// kept without their result bodies: a dry run publishes no result. The state of one planned
    /// batch (``init(planned:)``) serves the single plan made on top of it and gathers nothing.
    func gather(_ batch: StoreBatch) {
        guard planned == nil else { return }
        state.withLock { state in
            for contact in batch.contacts { state.contacts[contact.id] = contact }
            for var record in batch.processedCommands {
                record.resultBody = []
                state.processed[record.commandID] = record
            }
        }
    }
}
