/// The event types on the events topic (CloudEvents `type`). Raw values are the wire spelling.
public enum ContactEventType: String, Sendable, Hashable, CaseIterable, Codable {
    /// A contact was created; data is the contact body.
    case contactCreated = "ContactCreated"
    /// An interaction was recorded; data is the interaction body.
    case interactionRecorded = "InteractionRecorded"
    /// A status or lifecycle stage changed; data is the status-change body.
    case statusChanged = "StatusChanged"
}
