/// The lifecycle stage a relationship status implies when the sender does not name one (docs/contract.md §5).
///
/// prospect → awareness, qualified_lead → interest, opportunity → consideration,
/// active_client → customer; past_client, lost_lead and inactive keep the current stage.
/// A stage given by the sender always wins.
public enum LifecycleAlignment {
    /// The stage a new contact starts in when it is created with a status that keeps the current
    /// stage (past_client, lost_lead, inactive) and no stage is given: there is no current stage
    /// yet, so it starts at the beginning of the funnel.
    public static let initialStage: LifecycleStage = .awareness

    /// The stage `status` aligns to, or `nil` for the statuses that keep the current stage.
    public static func alignedStage(for status: RelationshipStatus) -> LifecycleStage? {
        switch status {
        case .prospect: .awareness
        case .qualifiedLead: .interest
        case .opportunity: .consideration
        case .activeClient: .customer
        case .pastClient, .lostLead, .inactive: nil
        }
    }

    /// The stage after moving to `status`: `requested` if given, else the aligned stage, else
    /// `current` (or ``initialStage`` for a contact being created).
    public static func stage(
        for status: RelationshipStatus, current: LifecycleStage?, requested: LifecycleStage?
    ) -> LifecycleStage {
        requested ?? alignedStage(for: status) ?? current ?? initialStage
    }
}
