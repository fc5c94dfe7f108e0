import Foundation
import Testing

@testable import ContactDomain

@Suite("What a batch looks up for a classified message before it decides")
struct CommandLookupKeysTests {
    @Test(
        "lookup keys: a valid command's command_id and contact_id; none for a garbage command_id, an invalid command's contact or a dead letter"
    )
    func lookupKeys() {
        let commandID = Fixtures.uuid(1).lowercasedString
        let contact = Fixtures.contactID.lowercasedString
        func keys(_ text: String) -> (commandID: String?, contactID: UUID?) {
            CommandDecoder().classify(value: Array(text.utf8), messageTimestamp: Fixtures.messageTimestamp).lookupKeys
        }
        let valid = keys(
            #"{"command_id":"\#(commandID)","type":"AddInteraction","business_id":"biz-1","contact_id":"\#(contact)","payload":{"type":"call","description":"d"}}"#
        )
        #expect(valid.commandID == commandID && valid.contactID == Fixtures.contactID)
        // Invalid (no payload): still a key, but no contact to look up.
        let invalid = keys(#"{"command_id":"\#(commandID)","type":"AddInteraction","contact_id":"\#(contact)"}"#)
        #expect(invalid.commandID == commandID && invalid.contactID == nil)
        let garbage = keys(#"{"command_id":"undefined"}"#)
        #expect(garbage.commandID == nil && garbage.contactID == nil)
        let deadLetter = keys("[1]")
        #expect(deadLetter.commandID == nil && deadLetter.contactID == nil)
    }
}
