import Foundation

/// A command as a test writes it: JSON text plus headers.
public struct TestCommand: Sendable {
    public var commandID: String
    public var contactID: String
    public var json: String
    public var token: String?
    public var correlationID: String?
    public var partition: Int32?

    public init(
        commandID: String = UUID().uuidString.lowercased(), type: String, business: String = "biz-1", contactID: String,
        issuedAt: String? = "2024-01-10T14:30:00Z", payload: String, token: String?, correlationID: String? = nil
    ) {
        self.commandID = commandID
        self.contactID = contactID
        let issued = issuedAt.map { #", "issued_at": "\#($0)""# } ?? ""
        self.json =
            #"{"command_id": "\#(commandID)", "type": "\#(type)", "business_id": "\#(business)", "contact_id": "\#(contactID)"\#(issued), "payload": \#(payload)}"#
        self.token = token
        self.correlationID = correlationID
    }

    public init(raw: String, contactID: String, token: String?) {
        self.commandID = ""
        self.contactID = contactID
        self.json = raw
        self.token = token
    }
}
