import Foundation
import Testing

@testable import ContactDomain

/// Produces one sample of every message kind on the four topics from the real encoders, for
/// `scripts/check-asyncapi.sh` to validate against `config/asyncapi.yaml`.
///
/// With `CONTACT_DOMAIN_SAMPLES_DIR` set, the samples are written there as `NNN-<Message>.value`
/// (the exact message value bytes) and `NNN-<Message>.headers.json`; `<Message>` names the
/// message under `components.messages` in the AsyncAPI document. Without it, the test only checks
/// that every sample is produced.
@Suite("AsyncAPI samples")
struct AsyncAPISampleTests {
    struct Sample {
        var message: String
        var value: [UInt8]
        var headers: [String: String]
    }

    static func samples() async throws -> [Sample] {
        var samples: [Sample] = []
        let token = try await Tokens.hs256()
        let actor = Fixtures.actor()
        let processedAt = Timestamp(rfc3339: "2024-01-10T14:30:00.5Z")!
        let commandHeaders = ["authorization": "Bearer \(token)", "correlation-id": "corr-1"]
        let resultHeaders = ["content-type": ResultMessage.contentType, "correlation-id": "corr-1"]
        let eventHeaders = ["content-type": ContactEvent.contentType]

        func result(_ outcome: CommandOutcome, duplicate: Bool = false, correlationID: String? = "corr-1") {
            samples.append(
                Sample(
                    message: "CommandResult",
                    value: ResultMessage.encode(
                        result: outcome.result, correlationID: correlationID, duplicate: duplicate,
                        processedAt: processedAt),
                    headers: correlationID == nil ? ["content-type": ResultMessage.contentType] : resultHeaders))
            for event in outcome.change?.events ?? [] {
                samples.append(Sample(message: event.type.rawValue, value: event.encoded(), headers: eventHeaders))
            }
        }

        // Commands, each processed to its success result and event.
        let create = Fixtures.commandEnvelope(
            .createContact(
                CreateContactPayload(
                    firstName: "Ada", lastName: "Lovelace", companyName: "Analytical Engines", email: "ada@example.com",
                    phone: "+44 20 7946 0000", relationshipStatus: .prospect, lifecycleStage: .interest)),
            commandID: Fixtures.uuid(1))
        let interaction = Fixtures.commandEnvelope(
            .addInteraction(
                AddInteractionPayload(
                    type: .meeting, description: "Kick-off", outcome: "Good", nextAction: "Send proposal",
                    scheduledFollowUp: Timestamp(rfc3339: "2024-01-17T09:00:00Z"))),
            commandID: Fixtures.uuid(2))
        var minimalInteraction = Fixtures.commandEnvelope(
            .addInteraction(AddInteractionPayload(type: .note, description: "n")), commandID: Fixtures.uuid(3))
        minimalInteraction.issuedAtIsExplicit = false
        let status = Fixtures.commandEnvelope(
            .updateStatus(
                UpdateStatusPayload(
                    relationshipStatus: .qualifiedLead, lifecycleStage: .decision, reason: "r", notes: "n")),
            commandID: Fixtures.uuid(4))
        for command in [create, interaction, minimalInteraction, status] {
            samples.append(Sample(message: "ContactCommand", value: command.encoded(), headers: commandHeaders))
        }
        let created = ContactCommandProcessor.decide(command: create, actor: actor, current: nil)
        result(created)
        let contact = try #require(created.change?.contact)
        let interacted = ContactCommandProcessor.decide(command: interaction, actor: actor, current: contact)
        result(interacted)
        result(
            ContactCommandProcessor.decide(command: minimalInteraction, actor: actor, current: contact),
            correlationID: nil)
        result(ContactCommandProcessor.decide(command: status, actor: actor, current: interacted.change?.contact))

        // Every error result.
        let decodedStatus = try #require(
            CommandDecoder().classify(value: status.encoded(), messageTimestamp: nil).command)
        result(ContactCommandProcessor.process(decoded: decodedStatus, auth: .failure(.expired), current: nil))
        result(
            ContactCommandProcessor.process(
                decoded: decodedStatus, auth: .success(Fixtures.actor(businessID: Fixtures.otherBusinessID)),
                current: nil))
        result(
            ContactCommandProcessor.process(
                decoded: decodedStatus, auth: .success(Fixtures.actor(role: .viewer)), current: nil))
        result(ContactCommandProcessor.process(decoded: decodedStatus, auth: .success(actor), current: nil))
        result(
            ContactCommandProcessor.process(
                decoded: decodedStatus, auth: .success(actor),
                current: Fixtures.contact(status: .pastClient)))
        result(ContactCommandProcessor.decide(command: create, actor: actor, current: contact), duplicate: true)
        result(CommandOutcome(result: CommandResult.idempotencyConflict(for: decodedStatus)))
        let broken = try #require(
            CommandDecoder().classify(
                value: Array(#"{"command_id":"x","type":"Nope","contact_id":7,"payload":[]}"#.utf8),
                messageTimestamp: nil
            ).command)
        result(ContactCommandProcessor.process(decoded: broken, auth: .success(actor), current: nil))
        let invalidPayload = try Fixtures.decode(
            Fixtures.envelope(
                type: .string("AddInteraction"), payload: .object(["type": .string("fax"), "description": .string("")]))
        )
        result(ContactCommandProcessor.process(decoded: invalidPayload, auth: .success(actor), current: nil))

        // A dead letter: original bytes plus the x- headers.
        let garbage = Array("not a command".utf8)
        guard case .deadLetter(let reason) = CommandDecoder().classify(value: garbage, messageTimestamp: nil) else {
            Issue.record("garbage must be dead-lettered")
            return samples
        }
        samples.append(
            Sample(
                message: "DeadLetter", value: garbage,
                headers: [
                    "authorization": "Bearer \(token)", "x-error-reason": reason,
                    "x-original-topic": "contacts.commands",
                    "x-original-partition": "3", "x-original-offset": "42", "x-original-timestamp": "1704897000000",
                ]))
        return samples
    }

    @Test("every message kind has a sample from the real encoders; written out when asked")
    func writeSamples() async throws {
        let samples = try await Self.samples()
        let kinds = Set(samples.map(\.message))
        #expect(
            kinds == [
                "ContactCommand", "CommandResult", "ContactCreated", "InteractionRecorded", "StatusChanged",
                "DeadLetter",
            ])
        let statuses = samples.filter { $0.message == "CommandResult" }.compactMap {
            try? JSONValue.parse($0.value)["status"]?.intValue
        }
        #expect(Set(statuses) == [200, 201, 400, 401, 403, 404, 409, 422])

        guard let directory = ProcessInfo.processInfo.environment["CONTACT_DOMAIN_SAMPLES_DIR"] else { return }
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (index, sample) in samples.enumerated() {
            let stem = String(format: "%03d-%@", index, sample.message)
            try Data(sample.value).write(to: url.appendingPathComponent(stem + ".value"))
            let headers = JSONValue.object(
                sample.headers.sorted { $0.key < $1.key }.map { JSONValue.Member($0.key, .string($0.value)) })
            try Data(headers.encoded()).write(to: url.appendingPathComponent(stem + ".headers.json"))
        }
    }
}
