/// The exact `detail` strings of the error results (docs/contract.md §4, §6), in one place so the worker, the
/// HTTP side and the tests agree byte for byte.
public enum ResultDetail {
    /// 401: token missing, malformed, badly signed, expired, or lacking required claims.
    public static let invalidCredentials = "Invalid or missing credentials"
    /// 403: the token's `business_id` is not the envelope's.
    public static let notAMember = "Not a member of this business"
    /// 403: the token lacks `edit_contacts` (the permission every command needs).
    public static let insufficientPermissions = "Insufficient permissions: edit_contacts required"
    /// 404: the contact does not exist, or belongs to another business (indistinguishable).
    public static let contactNotFound = "Contact not found"
    /// 409: `CreateContact` with a `contact_id` that already exists.
    public static let contactAlreadyExists = "Contact already exists"
    /// 409: a used `command_id` with different content.
    public static let commandIDReused = "command_id was already used for a different command"
}
