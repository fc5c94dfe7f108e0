/// Everything an accepted command changes, for the store to persist atomically together with the
/// result and the outbox of events. Made by ``ContactCommandProcessor``, with the memberwise
/// initializer only (decision 0014).
public struct ContactChange: Sendable, Hashable {
    /// The contact's state after the command (insert for `CreateContact`, update otherwise).
    public var contact: Contact
    /// Whether ``contact`` is new (`CreateContact`) rather than an update of a stored one.
    public var isNewContact: Bool
    /// The interaction to append (`AddInteraction`).
    public var interaction: Interaction?
    /// The status-history entry to append (`CreateContact`, `UpdateStatus`).
    public var historyEntry: StatusHistoryEntry?
    /// The events to publish, in order.
    public var events: [ContactEvent]
}
