import ContactDomain
import ContactStore
import Foundation

/// Builders for model values with sensible defaults, so each test states only what it is about.
enum Fixtures {
    static let business = "business-a"
    static let otherBusiness = "business-b"
    /// 2024-01-10T14:30:00.123457Z: odd microseconds catch any rounding.
    static let baseTime = Timestamp(microsecondsSinceEpoch: 1_704_897_000_123_457)

    static func contact(
        id: UUID = UUID(),
        business: String = business,
        status: RelationshipStatus = .prospect,
        stage: LifecycleStage = .awareness,
        lastContacted: Timestamp? = nil,
        createdAt: Timestamp = baseTime
    ) -> Contact {
        Contact(
            id: id, businessID: business, firstName: "Ada", lastName: "Lovelace", companyName: nil,
            displayName: "Ada Lovelace", email: "ada@example.com", phone: nil, relationshipStatus: status,
            lifecycleStage: stage, lastContacted: lastContacted, createdAt: createdAt, updatedAt: createdAt)
    }

    static func interaction(
        id: UUID = UUID(),
        contactID: UUID,
        at timestamp: Timestamp = baseTime,
        description: String = "Called about the quote"
    ) -> Interaction {
        Interaction(
            id: id, contactID: contactID, type: .call, description: description, timestamp: timestamp,
            outcome: "interested", nextAction: nil, scheduledFollowUp: nil, performedBy: "Grace",
            performedByID: "user-1")
    }

    static func historyEntry(
        id: UUID = UUID(),
        contactID: UUID,
        from: RelationshipStatus? = nil,
        to: RelationshipStatus = .prospect,
        at timestamp: Timestamp = baseTime
    ) -> StatusHistoryEntry {
        StatusHistoryEntry(
            id: id, contactID: contactID, fromStatus: from, toStatus: to,
            fromLifecycleStage: from == nil ? nil : .awareness, toLifecycleStage: .awareness, timestamp: timestamp,
            changedBy: "Grace", changedByID: "user-1", reason: from == nil ? "Initial status" : nil, notes: nil)
    }

    static func processed(
        id: String = UUID().uuidString.lowercased(),
        contactID: UUID? = nil,
        status: Int = 201,
        body: [UInt8] = Array(#"{"id":"x"}"#.utf8),
        at timestamp: Timestamp = baseTime
    ) -> ProcessedCommand {
        ProcessedCommand(
            commandID: id, fingerprint: "sha256:\(id)", businessID: business,
            contactID: contactID?.uuidString.lowercased(), commandType: "AddInteraction", resultStatus: status,
            resultBody: body, processedAt: timestamp)
    }

    static func event(
        id: UUID = UUID(),
        contactID: UUID,
        type: String = "InteractionRecorded",
        at time: Timestamp = baseTime
    ) -> StoredEvent {
        StoredEvent(
            id: id, contactID: contactID, businessID: business, commandID: UUID().uuidString.lowercased(),
            type: type, time: time, body: Array(#"{"specversion":"1.0","id":"\#(id)"}"#.utf8))
    }

    static func outbox(contactID: UUID, topic: String = "contacts.events", value: String) -> OutboxMessage {
        OutboxMessage(
            topic: topic, key: Array(contactID.uuidString.lowercased().utf8), value: Array(value.utf8),
            headers: [("content-type", Array("application/cloudevents+json".utf8))],
            contactID: contactID.uuidString.lowercased())
    }
}
