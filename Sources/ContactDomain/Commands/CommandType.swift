/// The three commands the worker accepts (the envelope's `type`).
///
/// Raw values are the wire spelling; they never change.
public enum CommandType: String, Sendable, Hashable, CaseIterable, Codable {
    /// Creates a contact with the envelope's `contact_id`; answered 201 with the contact.
    case createContact = "CreateContact"
    /// Records an interaction on an existing contact; answered 201 with the interaction.
    case addInteraction = "AddInteraction"
    /// Changes a contact's relationship status and/or lifecycle stage; answered 200.
    case updateStatus = "UpdateStatus"
}
