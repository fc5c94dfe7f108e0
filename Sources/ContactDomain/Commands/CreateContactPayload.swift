/// The payload of `CreateContact` (docs/contract.md §3), validated.
///
/// Names, email and phone are stored exactly as sent (never trimmed); only `display_name` is
/// derived with trimming (``DisplayName``).
public struct CreateContactPayload: Sendable, Hashable {
    /// Given name, ≤ 100 characters.
    public var firstName: String?
    /// Family name, ≤ 100 characters.
    public var lastName: String?
    /// Company, ≤ 200 characters; becomes the display name when not blank.
    public var companyName: String?
    /// Email address, ≤ 320 characters, must look like an address.
    public var email: String?
    /// Phone number, ≤ 20 characters, free form.
    public var phone: String?
    /// Initial status; `prospect` when absent.
    public var relationshipStatus: RelationshipStatus?
    /// Initial stage; aligned to the status when absent (``LifecycleAlignment``).
    public var lifecycleStage: LifecycleStage?

    /// Creates a payload (no validation; use ``CommandDecoder`` for untrusted input).
    public init(
        firstName: String? = nil,
        lastName: String? = nil,
        companyName: String? = nil,
        email: String? = nil,
        phone: String? = nil,
        relationshipStatus: RelationshipStatus? = nil,
        lifecycleStage: LifecycleStage? = nil
    ) {
        self.firstName = firstName
        self.lastName = lastName
        self.companyName = companyName
        self.email = email
        self.phone = phone
        self.relationshipStatus = relationshipStatus
        self.lifecycleStage = lifecycleStage
    }

    /// The wire form; absent fields are omitted.
    public var json: JSONValue {
        var members: [JSONValue.Member] = []
        func add(_ key: String, _ value: String?) {
            if let value { members.append(.init(key, .string(value))) }
        }
        add("first_name", firstName)
        add("last_name", lastName)
        add("company_name", companyName)
        add("email", email)
        add("phone", phone)
        add("relationship_status", relationshipStatus?.rawValue)
        add("lifecycle_stage", lifecycleStage?.rawValue)
        return .object(members)
    }

    /// Writes the members of ``json`` in canonical order (sorted by name, absent fields omitted).
    func writeCanonicalMembers(into object: inout JSONObjectWriter) {
        if let companyName { object.string("company_name", companyName) }
        if let email { object.string("email", email) }
        if let firstName { object.string("first_name", firstName) }
        if let lastName { object.string("last_name", lastName) }
        if let lifecycleStage { object.string("lifecycle_stage", lifecycleStage.rawValue) }
        if let phone { object.string("phone", phone) }
        if let relationshipStatus { object.string("relationship_status", relationshipStatus.rawValue) }
    }

    /// Reads and validates the payload object, reporting every problem into `reader`.
    static func read(_ reader: inout FieldReader) -> CreateContactPayload? {
        let before = reader.problems.count
        let firstName = reader.optionalString("first_name", maximum: FieldLimits.firstName)
        let lastName = reader.optionalString("last_name", maximum: FieldLimits.lastName)
        let companyName = reader.optionalString("company_name", maximum: FieldLimits.companyName)
        let nameFieldsValid = reader.problems.count == before
        let email = reader.optionalEmail("email", maximum: FieldLimits.email)
        let phone = reader.optionalString("phone", maximum: FieldLimits.phone)
        let status = reader.optionalEnum("relationship_status", RelationshipStatus.self)
        let stage = reader.optionalEnum("lifecycle_stage", LifecycleStage.self)
        // The "at least one name" rule is only meaningful once the name fields themselves are
        // valid; a too-long first_name is reported as such, not also as "no name".
        if nameFieldsValid, [firstName, lastName, companyName].allSatisfy({ $0 == nil || $0?.isBlank == true }) {
            reader.report(.nameRequired)
        }
        guard reader.problems.count == before else { return nil }
        return CreateContactPayload(
            firstName: firstName, lastName: lastName, companyName: companyName, email: email, phone: phone,
            relationshipStatus: status, lifecycleStage: stage)
    }
}
