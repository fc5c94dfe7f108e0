/// The validated payload of a command; the case fixes the command's ``CommandType``.
public enum CommandPayload: Sendable, Hashable {
    /// `CreateContact`.
    case createContact(CreateContactPayload)
    /// `AddInteraction`.
    case addInteraction(AddInteractionPayload)
    /// `UpdateStatus`.
    case updateStatus(UpdateStatusPayload)

    /// The command type this payload belongs to.
    public var type: CommandType {
        switch self {
        case .createContact: .createContact
        case .addInteraction: .addInteraction
        case .updateStatus: .updateStatus
        }
    }

    /// The wire form of the payload.
    public var json: JSONValue {
        switch self {
        case .createContact(let payload): payload.json
        case .addInteraction(let payload): payload.json
        case .updateStatus(let payload): payload.json
        }
    }

    /// Writes the members of ``json``'s canonical form (``JSONValue/writeCanonical(into:)``) into
    /// `object`: the same bytes, written straight from the fields.
    func writeCanonicalMembers(into object: inout JSONObjectWriter) {
        switch self {
        case .createContact(let payload): payload.writeCanonicalMembers(into: &object)
        case .addInteraction(let payload): payload.writeCanonicalMembers(into: &object)
        case .updateStatus(let payload): payload.writeCanonicalMembers(into: &object)
        }
    }
}
