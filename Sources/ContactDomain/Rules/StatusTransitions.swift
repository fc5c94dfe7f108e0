/// Decides whether a contact may move from one relationship status to another.
///
/// The table is the single source of truth for transitions (docs/contract.md §5); the command processor, the
/// HTTP side and the tests all ask it rather than re-encoding rules.
///
/// | from | to |
/// |---|---|
/// | prospect | qualified_lead |
/// | qualified_lead | opportunity |
/// | opportunity | active_client |
/// | active_client | past_client |
/// | any status except lost_lead | lost_lead |
/// | any status except inactive | inactive |
/// | lost_lead, inactive | prospect (reactivation) |
public enum StatusTransitions {
    /// Every status a contact in `from` may move to; never contains `from` itself.
    public static func allowedTargets(from: RelationshipStatus) -> Set<RelationshipStatus> {
        var targets: Set<RelationshipStatus> = []
        switch from {
        case .prospect: targets.insert(.qualifiedLead)
        case .qualifiedLead: targets.insert(.opportunity)
        case .opportunity: targets.insert(.activeClient)
        case .activeClient: targets.insert(.pastClient)
        case .lostLead, .inactive: targets.insert(.prospect)
        case .pastClient: break
        }
        if from != .lostLead { targets.insert(.lostLead) }
        if from != .inactive { targets.insert(.inactive) }
        return targets
    }

    /// Whether the table allows `from → to` (a same-status pair never is; see
    /// ``check(from:to:currentStage:requestedStage:)`` for stage-only changes).
    public static func isAllowed(from: RelationshipStatus, to: RelationshipStatus) -> Bool {
        allowedTargets(from: from).contains(to)
    }

    /// Checks a status move against the table alone.
    public static func check(from: RelationshipStatus, to: RelationshipStatus) -> Result<Void, DomainError> {
        isAllowed(from: from, to: to) ? .success(()) : .failure(.invalidStatusTransition(from: from, to: to))
    }

    /// Checks a full `UpdateStatus` request and returns the lifecycle stage the contact ends in.
    ///
    /// A move allowed by the table takes the requested stage, else the aligned one
    /// (``LifecycleAlignment``). Asking for the current status again is allowed only as a
    /// stage-only change: an explicit `requestedStage` different from `currentStage`; otherwise it
    /// fails with `cannot move from X to X`.
    public static func check(
        from: RelationshipStatus,
        to: RelationshipStatus,
        currentStage: LifecycleStage,
        requestedStage: LifecycleStage?
    ) -> Result<LifecycleStage, DomainError> {
        if from == to {
            guard let requestedStage, requestedStage != currentStage else {
                return .failure(.invalidStatusTransition(from: from, to: to))
            }
            return .success(requestedStage)
        }
        guard isAllowed(from: from, to: to) else {
            return .failure(.invalidStatusTransition(from: from, to: to))
        }
        return .success(LifecycleAlignment.stage(for: to, current: currentStage, requested: requestedStage))
    }
}
