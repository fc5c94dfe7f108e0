import ContactStore
import Synchronization

/// What a batch was planned to write, for planning the next batch on top of it.
///
/// State carried from a previous plan is valid only while that batch is still being written
/// and no revoke or assign has happened since; anything else reads the database. Once the
/// batch is written the database has it, and after an assignment change another worker may
/// have changed the same contacts since this worker planned them.
final class PlanBasis: Sendable {
    let batch: StoreBatch
    /// ``PartitionOwnership/generation`` when the plan was made.
    let generation: Int
    private let writing = Atomic<Bool>(true)

    init(batch: StoreBatch, generation: Int) {
        self.batch = batch
        self.generation = generation
    }

    /// The batch's write ended (written or not): nothing is carried from it any more.
    func writeEnded() {
        writing.store(false, ordering: .releasing)
    }

    /// The state to plan the next batch on top of under assignment `generation`, or nil when
    /// that plan must read the database.
    func unwritten(generation current: Int) -> UnwrittenState? {
        guard writing.load(ordering: .acquiring), generation == current else { return nil }
        return UnwrittenState(planned: batch)
    }
}
