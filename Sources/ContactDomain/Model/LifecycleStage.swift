/// The marketing lifecycle stage of a contact, tracked alongside its relationship status.
///
/// Raw values are the wire and database spelling; they never change.
public enum LifecycleStage: String, Sendable, Hashable, CaseIterable, Codable {
    case awareness
    case interest
    case consideration
    case decision
    case retention
    case customer
}
