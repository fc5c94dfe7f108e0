/// What to do with a command whose `command_id` already has a stored result (docs/contract.md §6).
public enum IdempotencyVerdict: Sendable, Hashable {
    /// Same content: change nothing, publish no event, re-publish the stored result with
    /// `"duplicate": true`.
    case duplicate
    /// Different content under a used id: answer 409 (``CommandResult/idempotencyConflict(for:)``),
    /// store nothing.
    case conflict

    /// Compares the stored command's fingerprint with the new one's.
    public static func compare(storedFingerprint: String, newFingerprint: String) -> IdempotencyVerdict {
        storedFingerprint == newFingerprint ? .duplicate : .conflict
    }
}
