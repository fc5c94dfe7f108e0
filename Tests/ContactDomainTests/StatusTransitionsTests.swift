import Testing

@testable import ContactDomain

/// The transition table of docs/contract.md §5, written out independently of ``StatusTransitions`` so the two
/// must agree.
private let specTable: [RelationshipStatus: Set<RelationshipStatus>] = [
    .prospect: [.qualifiedLead, .lostLead, .inactive],
    .qualifiedLead: [.opportunity, .lostLead, .inactive],
    .opportunity: [.activeClient, .lostLead, .inactive],
    .activeClient: [.pastClient, .lostLead, .inactive],
    .pastClient: [.lostLead, .inactive],
    .lostLead: [.prospect, .inactive],
    .inactive: [.prospect, .lostLead],
]

private let allPairs: [(RelationshipStatus, RelationshipStatus)] = RelationshipStatus.allCases.flatMap { from in
    RelationshipStatus.allCases.map { (from, $0) }
}

/// What an `UpdateStatus` asks for besides the status.
enum StageRequest: Sendable, CustomTestStringConvertible {
    /// No `lifecycle_stage` in the payload.
    case none
    /// The contact's current stage again.
    case same
    /// A stage different from the current one.
    case different

    var testDescription: String {
        switch self {
        case .none: "no stage"
        case .same: "same stage"
        case .different: "different stage"
        }
    }
}

@Suite("Status transitions (docs/contract.md §5)")
struct StatusTransitionsTests {
    static let currentStage: LifecycleStage = .consideration
    static let differentStage: LifecycleStage = .decision

    @Test("the table allows exactly the spec's pairs", arguments: allPairs)
    func table(from: RelationshipStatus, to: RelationshipStatus) {
        let allowed = specTable[from]?.contains(to) ?? false
        #expect(StatusTransitions.isAllowed(from: from, to: to) == allowed)
        switch StatusTransitions.check(from: from, to: to) {
        case .success: #expect(allowed)
        case .failure(let error):
            #expect(!allowed)
            #expect(error.message == "Invalid status transition: cannot move from \(from.rawValue) to \(to.rawValue)")
        }
    }

    @Test(
        "every pair, with and without a stage: allowed or 400, and the resulting stage",
        arguments: allPairs, [StageRequest.none, .same, .different])
    func updateStatusDecision(pair: (RelationshipStatus, RelationshipStatus), request: StageRequest) throws {
        let (from, to) = pair
        let requested: LifecycleStage? =
            switch request {
            case .none: nil
            case .same: Self.currentStage
            case .different: Self.differentStage
            }
        let contact = Fixtures.contact(status: from, stage: Self.currentStage)
        let command = Fixtures.commandEnvelope(
            .updateStatus(UpdateStatusPayload(relationshipStatus: to, lifecycleStage: requested)))
        let outcome = ContactCommandProcessor.decide(command: command, actor: Fixtures.actor(), current: contact)

        let allowed: Bool
        if from == to {
            allowed = request == .different
        } else {
            allowed = specTable[from]?.contains(to) ?? false
        }
        if allowed {
            let expectedStage = requested ?? LifecycleAlignment.alignedStage(for: to) ?? Self.currentStage
            #expect(outcome.result.status == 200)
            let change = try #require(outcome.change)
            #expect(change.contact.relationshipStatus == to)
            #expect(change.contact.lifecycleStage == expectedStage)
            #expect(change.historyEntry?.fromStatus == from)
            #expect(change.historyEntry?.toStatus == to)
            #expect(change.historyEntry?.fromLifecycleStage == Self.currentStage)
            #expect(change.historyEntry?.toLifecycleStage == expectedStage)
            #expect(outcome.result.body["new_lifecycle_stage"] == .string(expectedStage.rawValue))
        } else {
            #expect(outcome.result.status == 400)
            #expect(outcome.change == nil)
            #expect(
                outcome.result.body
                    == .object([
                        "detail": .string(
                            "Invalid status transition: cannot move from \(from.rawValue) to \(to.rawValue)")
                    ]))
        }
    }

    @Test("qualified_lead cannot jump to active_client")
    func qualifiedLeadCannotSkipOpportunity() {
        #expect(
            StatusTransitions.check(from: .qualifiedLead, to: .activeClient).failureMessage
                == "Invalid status transition: cannot move from qualified_lead to active_client")
    }

    @Test("lost_lead and inactive reactivate to prospect, realigning to awareness")
    func reactivation() {
        for from in [RelationshipStatus.lostLead, .inactive] {
            #expect(
                StatusTransitions.check(from: from, to: .prospect, currentStage: .customer, requestedStage: nil)
                    == .success(.awareness))
        }
        #expect(!StatusTransitions.isAllowed(from: .pastClient, to: .prospect))
    }

    @Test("same status: only a different explicit stage is a change")
    func stageOnlyChange() {
        #expect(
            StatusTransitions.check(
                from: .opportunity, to: .opportunity, currentStage: .consideration, requestedStage: .decision)
                == .success(.decision))
        #expect(
            StatusTransitions.check(
                from: .opportunity, to: .opportunity, currentStage: .consideration, requestedStage: nil)
                == .failure(.invalidStatusTransition(from: .opportunity, to: .opportunity)))
        #expect(
            StatusTransitions.check(
                from: .opportunity, to: .opportunity, currentStage: .consideration, requestedStage: .consideration
            )
            .failureMessage == "Invalid status transition: cannot move from opportunity to opportunity")
    }
}

@Suite("Lifecycle alignment (docs/contract.md §5)")
struct LifecycleAlignmentTests {
    @Test(
        "aligned statuses map to their stage; the others keep the current one",
        arguments: RelationshipStatus.allCases, LifecycleStage.allCases)
    func alignment(status: RelationshipStatus, current: LifecycleStage) {
        let expected: LifecycleStage =
            switch status {
            case .prospect: .awareness
            case .qualifiedLead: .interest
            case .opportunity: .consideration
            case .activeClient: .customer
            case .pastClient, .lostLead, .inactive: current
            }
        #expect(LifecycleAlignment.stage(for: status, current: current, requested: nil) == expected)
    }

    @Test("a given stage always wins", arguments: RelationshipStatus.allCases, LifecycleStage.allCases)
    func requestedWins(status: RelationshipStatus, requested: LifecycleStage) {
        #expect(LifecycleAlignment.stage(for: status, current: .retention, requested: requested) == requested)
        #expect(LifecycleAlignment.stage(for: status, current: nil, requested: requested) == requested)
    }

    @Test("a new contact with a stage-keeping status and no stage starts at awareness")
    func creationDefault() {
        #expect(LifecycleAlignment.stage(for: .pastClient, current: nil, requested: nil) == .awareness)
        #expect(LifecycleAlignment.stage(for: .activeClient, current: nil, requested: nil) == .customer)
    }
}

extension Result where Failure == DomainError {
    var failureMessage: String? {
        if case .failure(let error) = self { return error.message }
        return nil
    }
}
