import ContactDomain
import ContactWorker
import Foundation
import Kafka

/// The sample traffic `contact-worker dev` publishes, and how it prints what comes back.
enum DevScenario {
    static let cooper = "550e8400-e29b-41d4-a716-446655440001"
    static let northwind = "550e8400-e29b-41d4-a716-446655440002"

    /// A short, realistic day: two contacts created, calls and meetings logged, a lead qualified
    /// and converted, one rejected transition, one forbidden user, one malformed message.
    static func publish(bootstrap: String, topics: WorkerTopics, secret: String, business: String) async throws {
        let manager = try await TokenCommand.mint(
            secret: secret, sub: "u-maria", name: "Maria Lopez", business: business, role: "manager", ttl: 86_400)
        let viewer = try await TokenCommand.mint(
            secret: secret, sub: "u-victor", name: "Victor Chen", business: business, role: "viewer", ttl: 86_400)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(MockCluster.configuration(bootstrap)))
        var step = 0
        func command(
            _ type: String, _ contact: String, _ payload: String, token: String, at time: String
        ) -> KafkaOutgoingMessage {
            step += 1
            let id = String(format: "00000000-0000-4000-8000-%012d", step)
            let value =
                #"{"command_id":"\#(id)","type":"\#(type)","business_id":"\#(business)","contact_id":"\#(contact)","issued_at":"\#(time)","payload":\#(payload)}"#
            return KafkaOutgoingMessage(
                topic: topics.commands, key: contact, value: value,
                headers: [
                    KafkaHeader(name: "authorization", string: "Bearer \(token)"),
                    KafkaHeader(name: "correlation-id", string: "dev-\(step)"),
                ])
        }
        let messages = [
            command(
                "CreateContact", cooper,
                #"{"first_name":"Jane","last_name":"Cooper","company_name":"Cooper Plumbing","email":"jane@cooperplumbing.example","phone":"+1 555 0101"}"#,
                token: manager, at: "2024-01-10T09:00:00Z"),
            command(
                "CreateContact", northwind, #"{"company_name":"Northwind HVAC","email":"office@northwind.example"}"#,
                token: manager, at: "2024-01-10T09:05:00Z"),
            command(
                "AddInteraction", cooper,
                #"{"type":"call","description":"Intro call about annual boiler maintenance","outcome":"Interested","next_action":"Site survey","scheduled_follow_up":"2024-01-12T10:00:00Z"}"#,
                token: manager, at: "2024-01-10T14:30:00Z"),
            command(
                "UpdateStatus", cooper, #"{"relationship_status":"qualified_lead","reason":"Budget confirmed"}"#,
                token: manager, at: "2024-01-10T15:00:00Z"),
            command(
                "AddInteraction", cooper,
                #"{"type":"meeting","description":"On-site survey of three units","outcome":"Quote requested"}"#,
                token: manager, at: "2024-01-12T10:00:00Z"),
            command(
                "UpdateStatus", cooper, #"{"relationship_status":"opportunity","reason":"Quote requested"}"#,
                token: manager, at: "2024-01-12T11:00:00Z"),
            command(
                "UpdateStatus", cooper,
                #"{"relationship_status":"active_client","reason":"Signed the maintenance contract"}"#, token: manager,
                at: "2024-01-15T16:00:00Z"),
            command(
                "UpdateStatus", northwind, #"{"relationship_status":"active_client"}"#, token: manager,
                at: "2024-01-15T16:05:00Z"),
            command(
                "AddInteraction", northwind, #"{"type":"note","description":"Viewer tries to write"}"#, token: viewer,
                at: "2024-01-15T16:10:00Z"),
            KafkaOutgoingMessage(topic: topics.commands, key: "oops", value: "this is not JSON"),
        ]
        for message in messages {
            _ = try await producer.send(message)
            try await Task.sleep(for: .milliseconds(150))
        }
        await producer.shutdown()
    }

    /// One readable line per result, event or dead letter.
    static func describe(_ message: KafkaMessage, topics: WorkerTopics) -> String {
        let text = String(decoding: message.value, as: UTF8.self)
        let object = (try? JSONSerialization.jsonObject(with: Data(message.value))) as? [String: Any]
        if message.topic == topics.deadLetters {
            let reason = message.lastHeader(named: "x-error-reason")?.stringValue ?? "?"
            return
                "  ✗ dead letter   offset \(message.lastHeader(named: "x-original-offset")?.stringValue ?? "?"): \(reason)"
        }
        guard let object else { return "  ? \(message.topic): \(text)" }
        if message.topic == topics.results {
            let status = object["status"] as? Int ?? 0
            let type = object["command_type"] as? String ?? "?"
            let body =
                (try? JSONSerialization.data(withJSONObject: object["body"] ?? NSNull(), options: [.sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) } ?? ""
            let shortBody = body.count > 150 ? String(body.prefix(150)) + "…" : body
            return "  ← result \(status) \(type.padding(toLength: 15, withPad: " ", startingAt: 0)) \(shortBody)"
        }
        let type = object["type"] as? String ?? "?"
        let data = object["data"] as? [String: Any] ?? [:]
        let detail: String
        switch type {
        case "ContactCreated": detail = "\(data["display_name"] ?? "") (\(data["relationship_status"] ?? ""))"
        case "InteractionRecorded": detail = "\(data["type"] ?? ""): \(data["description"] ?? "")"
        case "StatusChanged":
            detail = "\(data["old_status"] ?? "") → \(data["new_status"] ?? "") (\(data["new_lifecycle_stage"] ?? ""))"
        default: detail = ""
        }
        return "  ★ event  \(type.padding(toLength: 20, withPad: " ", startingAt: 0)) \(detail)"
    }
}
