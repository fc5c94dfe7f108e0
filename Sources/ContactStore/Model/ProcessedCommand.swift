import ContactDomain

/// The stored outcome of one command, keyed by its `command_id`: the idempotency record.
///
/// When a command is re-delivered the worker looks it up here: with the same `fingerprint` it
/// republishes the stored result with `"duplicate": true`, with a different one it answers 409.
/// The result body is kept as the exact bytes that were published, so a duplicate's result is
/// byte-identical to the original.
public struct ProcessedCommand: Sendable, Hashable {
    /// The envelope's `command_id`; a string because malformed commands (non-UUID ids) get results too.
    public var commandID: String
    /// A digest of the command's content, to tell a re-delivery from a reused id.
    public var fingerprint: String
    /// The envelope's `business_id`, when it had one.
    public var businessID: String?
    /// The envelope's `contact_id`, when it had one (kept as sent, not necessarily a UUID).
    public var contactID: String?
    /// The envelope's `type`, when it had one.
    public var commandType: String?
    /// The result's HTTP-style status (201, 200, 400, 404, 409, 422, …).
    public var resultStatus: Int
    /// The result's body as encoded JSON bytes, returned byte for byte.
    public var resultBody: [UInt8]
    /// When the command was processed (the command's timestamp, not a wall clock).
    public var processedAt: Timestamp

    /// Creates an idempotency record.
    public init(
        commandID: String,
        fingerprint: String,
        businessID: String?,
        contactID: String?,
        commandType: String?,
        resultStatus: Int,
        resultBody: [UInt8],
        processedAt: Timestamp
    ) {
        self.commandID = commandID
        self.fingerprint = fingerprint
        self.businessID = businessID
        self.contactID = contactID
        self.commandType = commandType
        self.resultStatus = resultStatus
        self.resultBody = resultBody
        self.processedAt = processedAt
    }
}
