/// Where a contact stands in its relationship with the business.
///
/// Raw values are the wire and database spelling (`qualified_lead`, …); they never change.
public enum RelationshipStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case prospect
    case qualifiedLead = "qualified_lead"
    case opportunity
    case activeClient = "active_client"
    case pastClient = "past_client"
    case lostLead = "lost_lead"
    case inactive
}
