import ArgumentParser
import ContactWorker
import Foundation
import Kafka
import Logging
import Synchronization

/// Builds the benchmark's commands: realistic sizes, several senders, one business.
struct BenchCommandBuilder: Sendable {
    let topic: String
    let business: String
    let tokens: [String]

    func create(contact: String, index: Int) -> KafkaOutgoingMessage {
        message(
            contact: contact, index: index, type: "CreateContact", correlationID: nil,
            payload:
                #"{"first_name":"Jane","last_name":"Cooper \#(index)","company_name":"Cooper Plumbing","email":"jane\#(index)@cooper.example","phone":"+1 555 0101"}"#
        )
    }

    func addInteraction(contact: String, index: Int, correlationID: String?) -> KafkaOutgoingMessage {
        message(
            contact: contact, index: index, type: "AddInteraction", correlationID: correlationID,
            payload:
                #"{"type":"call","description":"Discussed the maintenance contract renewal and next quarter's schedule (\#(index))","outcome":"positive","next_action":"send quote"}"#
        )
    }

    /// Sends the backlog the throughput runs measure: one CreateContact per contact (unless
    /// `creatingContacts` is false: an earlier backlog created them), then `count` AddInteraction
    /// spread over the contacts in turn, in sends of at most 10,000.
    func sendBacklog(
        contactIDs: [String], creatingContacts: Bool = true, count: Int, with producer: KafkaProducer
    ) async throws {
        if creatingContacts {
            try await BenchEndToEndCommand.send(
                contactIDs.enumerated().map { create(contact: $1, index: $0) }, with: producer)
        }
        var next = 0
        while next < count {
            let end = min(next + 10_000, count)
            try await BenchEndToEndCommand.send(
                (next..<end).map {
                    addInteraction(contact: contactIDs[$0 % contactIDs.count], index: $0, correlationID: nil)
                },
                with: producer)
            next = end
        }
    }

    private func message(
        contact: String, index: Int, type: String, correlationID: String?, payload: String
    ) -> KafkaOutgoingMessage {
        let value =
            #"{"command_id":"\#(UUID().uuidString.lowercased())","type":"\#(type)","business_id":"\#(business)","contact_id":"\#(contact)","payload":\#(payload)}"#
        var headers = [KafkaHeader(name: "authorization", string: "Bearer \(tokens[index % tokens.count])")]
        if let correlationID { headers.append(KafkaHeader(name: "correlation-id", string: correlationID)) }
        return KafkaOutgoingMessage(topic: topic, key: contact, value: value, headers: headers)
    }
}
