/// The kind of touch point an interaction records.
///
/// Raw values are the wire and database spelling; they never change.
public enum InteractionType: String, Sendable, Hashable, CaseIterable, Codable {
    case call
    case email
    case meeting
    case proposal
    case quote
    case contract
    case service
    case followUp = "follow_up"
    case note
}
