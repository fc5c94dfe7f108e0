/// The decision: (command, authenticated sender, current contact) → (result, change, events).
///
/// Pure: no clock, no randomness, no I/O. Timestamps are the command's, ids are derived from the
/// `command_id` (``DeterministicID``), so processing the same inputs always gives the same
/// outcome, byte for byte. The checks run in the order of docs/contract.md §4, first failure wins:
///
/// 1. 401 — token missing or invalid (``TokenVerifier``);
/// 2. 403 — token `business_id` ≠ envelope `business_id` (skipped when the envelope's
///    `business_id` is itself missing or invalid: there is nothing to compare, and step 4
///    reports it);
/// 3. 403 — `edit_contacts` missing (every command needs it);
/// 4. 422 — envelope or payload invalid, every problem listed;
/// 5. 404 — contact absent or in another business (indistinguishable); for `CreateContact`,
///    409 when the `contact_id` already exists (in any business: ids are global);
/// 6. 400 — status transition not allowed (``StatusTransitions``).
///
/// The idempotency check (same `command_id` seen before) runs in the worker, after checks 1–3
/// (``authorize(decoded:auth:)``) and before the rest, with ``DecodedCommand/fingerprint`` and
/// ``IdempotencyVerdict``.
public enum ContactCommandProcessor {
    /// The reason recorded on the status-history entry of a new contact.
    public static let initialStatusReason = "Initial status"

    /// The single entry point for the worker: any decoded command, the result of verifying its
    /// token, and the stored contact with the command's `contact_id` (`nil` if none).
    public static func process(
        decoded: DecodedCommand, auth: Result<Principal, AuthFailure>, current: consuming Contact?
    ) -> CommandOutcome {
        let actor: Principal
        switch authorize(decoded: decoded, auth: auth) {
        case .failure(let rejection): return rejection.outcome
        case .success(let authorized): actor = authorized
        }
        switch decoded.validity {
        case .valid(let envelope):
            // A valid command's ids are UUIDs, which the decoder already spelled as results echo
            // them (lower-cased). A valid command always has its contact_id as a string: the
            // fallback only keeps this total.
            let ids = CommandResult.EchoedIDs(
                commandID: decoded.commandID, contactID: decoded.contactID ?? envelope.contactID.lowercasedString)
            return decide(command: envelope, echoing: ids, actor: actor, current: current)
        case .invalid(let problems):
            return CommandOutcome(
                result: CommandResult(for: decoded, status: 422, body: CommandResult.validationBody(problems)))
        }
    }

    /// Checks 1–3 of the order above: the sender, or the 401/403 outcome that answers instead.
    ///
    /// The worker also runs this before answering a `command_id` it has seen, so a re-sent
    /// command gets its stored result (or the 409) only from a sender who may send it.
    public static func authorize(
        decoded: DecodedCommand, auth: Result<Principal, AuthFailure>
    ) -> Result<Principal, Rejection> {
        let actor: Principal
        switch auth {
        case .failure:
            return .failure(
                Rejection(reject(decoded, status: AuthFailure.status, detail: ResultDetail.invalidCredentials)))
        case .success(let authenticated):
            actor = authenticated
        }
        // Any string business_id is compared, valid or not: an empty or over-long id is still not
        // the sender's business, and 403 comes before 422. Missing or not a string, there is
        // nothing to compare and the 422 answers.
        if let businessID = decoded.businessID, businessID != actor.businessID {
            return .failure(Rejection(reject(decoded, status: 403, detail: ResultDetail.notAMember)))
        }
        guard actor.has(.editContacts) else {
            return .failure(Rejection(reject(decoded, status: 403, detail: ResultDetail.insufficientPermissions)))
        }
        return .success(actor)
    }

    /// The 401 or 403 outcome of ``authorize(decoded:auth:)``.
    public struct Rejection: Error, Sendable {
        /// The outcome to publish: a result, no change.
        public var outcome: CommandOutcome

        init(_ outcome: CommandOutcome) { self.outcome = outcome }
    }

    /// Decides a valid command for an authenticated actor (checks 2, 3, 5, 6 of the order above).
    public static func decide(command: CommandEnvelope, actor: Principal, current: Contact?) -> CommandOutcome {
        decide(command: command, echoing: CommandResult.EchoedIDs(command), actor: actor, current: current)
    }

    /// ``decide(command:actor:current:)`` with the ids its results echo already spelled.
    static func decide(
        command: CommandEnvelope, echoing ids: CommandResult.EchoedIDs, actor: Principal, current: consuming Contact?
    ) -> CommandOutcome {
        guard actor.businessID == command.businessID else {
            return reject(command, ids, status: 403, detail: ResultDetail.notAMember)
        }
        guard actor.has(.editContacts) else {
            return reject(command, ids, status: 403, detail: ResultDetail.insufficientPermissions)
        }
        // A loaded row with another id is not this command's contact; treat it as absent. The
        // contact is moved, not copied, into the state the command leaves (`consuming` all the way).
        var stored = current
        if stored?.id != command.contactID { stored = nil }
        switch command.payload {
        case .createContact(let payload):
            guard stored == nil else {
                return reject(command, ids, status: 409, detail: ResultDetail.contactAlreadyExists)
            }
            return createContact(command, ids, payload, actor: actor)
        case .addInteraction(let payload):
            guard let contact = consume stored, contact.businessID == command.businessID else {
                return reject(command, ids, status: 404, detail: ResultDetail.contactNotFound)
            }
            return addInteraction(command, ids, payload, actor: actor, contact: contact)
        case .updateStatus(let payload):
            guard let contact = consume stored, contact.businessID == command.businessID else {
                return reject(command, ids, status: 404, detail: ResultDetail.contactNotFound)
            }
            return updateStatus(command, ids, payload, actor: actor, contact: contact)
        }
    }

    // MARK: - Commands

    private static func createContact(
        _ command: CommandEnvelope, _ ids: CommandResult.EchoedIDs, _ payload: CreateContactPayload, actor: Principal
    ) -> CommandOutcome {
        let status = payload.relationshipStatus ?? .prospect
        let stage = LifecycleAlignment.stage(for: status, current: nil, requested: payload.lifecycleStage)
        let contact = Contact(
            id: command.contactID,
            businessID: command.businessID,
            firstName: payload.firstName,
            lastName: payload.lastName,
            companyName: payload.companyName,
            displayName: DisplayName.derive(
                firstName: payload.firstName, lastName: payload.lastName, companyName: payload.companyName),
            email: payload.email,
            phone: payload.phone,
            relationshipStatus: status,
            lifecycleStage: stage,
            lastContacted: nil,
            createdAt: command.issuedAt,
            updatedAt: command.issuedAt,
            version: 1)
        let entry = StatusHistoryEntry(
            id: DeterministicID.historyEntry(commandID: command.commandID),
            contactID: contact.id,
            fromStatus: nil,
            toStatus: status,
            fromLifecycleStage: nil,
            toLifecycleStage: stage,
            timestamp: command.issuedAt,
            changedBy: actor.name,
            changedByID: actor.userID,
            reason: initialStatusReason,
            notes: nil)
        let body = ResultBodies.contactBytes(contact)
        let event = ContactEvent(
            type: .contactCreated, envelope: command, contactVersion: contact.version, dataBytes: body)
        return accept(
            command, ids, status: 201, body: body,
            change: ContactChange(
                contact: consume contact, isNewContact: true, interaction: nil, historyEntry: consume entry,
                events: [consume event]))
    }

    private static func addInteraction(
        _ command: CommandEnvelope, _ ids: CommandResult.EchoedIDs, _ payload: AddInteractionPayload, actor: Principal,
        contact: consuming Contact
    ) -> CommandOutcome {
        let interaction = Interaction(
            id: DeterministicID.interaction(commandID: command.commandID),
            contactID: contact.id,
            type: payload.type,
            description: payload.description,
            timestamp: command.issuedAt,
            outcome: payload.outcome,
            nextAction: payload.nextAction,
            scheduledFollowUp: payload.scheduledFollowUp,
            performedBy: actor.name,
            performedByID: actor.userID)
        var updated = contact
        updated.lastContacted = max(updated.lastContacted ?? command.issuedAt, command.issuedAt)
        // Like last_contacted: a command issued before the last change (delivered late, or
        // replayed) does not move updated_at back.
        updated.updatedAt = max(updated.updatedAt, command.issuedAt)
        updated.version += 1
        let body = ResultBodies.interactionBytes(interaction)
        // The event is made first, so that the values the change keeps are at their last use and
        // are moved into it (`consume`): copies would retain and then release every string of them.
        let event = ContactEvent(
            type: .interactionRecorded, envelope: command, contactVersion: updated.version, dataBytes: body)
        return accept(
            command, ids, status: 201, body: body,
            change: ContactChange(
                contact: consume updated, isNewContact: false, interaction: consume interaction, historyEntry: nil,
                events: [consume event]))
    }

    private static func updateStatus(
        _ command: CommandEnvelope, _ ids: CommandResult.EchoedIDs, _ payload: UpdateStatusPayload, actor: Principal,
        contact: consuming Contact
    ) -> CommandOutcome {
        let newStage: LifecycleStage
        switch StatusTransitions.check(
            from: contact.relationshipStatus, to: payload.relationshipStatus, currentStage: contact.lifecycleStage,
            requestedStage: payload.lifecycleStage)
        {
        case .success(let stage):
            newStage = stage
        case .failure(let error):
            return reject(command, ids, status: 400, detail: error.message)
        }
        let entry = StatusHistoryEntry(
            id: DeterministicID.historyEntry(commandID: command.commandID),
            contactID: contact.id,
            fromStatus: contact.relationshipStatus,
            toStatus: payload.relationshipStatus,
            fromLifecycleStage: contact.lifecycleStage,
            toLifecycleStage: newStage,
            timestamp: command.issuedAt,
            changedBy: actor.name,
            changedByID: actor.userID,
            reason: payload.reason,
            notes: payload.notes)
        var updated = contact
        updated.relationshipStatus = payload.relationshipStatus
        updated.lifecycleStage = newStage
        // Like last_contacted: a command issued before the last change (delivered late, or
        // replayed) does not move updated_at back.
        updated.updatedAt = max(updated.updatedAt, command.issuedAt)
        updated.version += 1
        let body = ResultBodies.statusChangeBytes(entry)
        let event = ContactEvent(
            type: .statusChanged, envelope: command, contactVersion: updated.version, dataBytes: body)
        return accept(
            command, ids, status: 200, body: body,
            change: ContactChange(
                contact: consume updated, isNewContact: false, interaction: nil, historyEntry: consume entry,
                events: [consume event]))
    }

    // MARK: - Helpers

    /// The success outcome; `body` is the encoded body, shared with the change's event as its data.
    private static func accept(
        _ command: CommandEnvelope, _ ids: CommandResult.EchoedIDs, status: Int, body: [UInt8],
        change: consuming ContactChange
    ) -> CommandOutcome {
        CommandOutcome(
            result: CommandResult(for: command, echoing: ids, status: status, encodedBody: body),
            change: consume change)
    }

    private static func reject(
        _ command: CommandEnvelope, _ ids: CommandResult.EchoedIDs, status: Int, detail: String
    ) -> CommandOutcome {
        CommandOutcome(
            result: CommandResult(
                for: command, echoing: ids, status: status, encodedBody: CommandResult.detailBody(detail).encoded()))
    }

    private static func reject(_ command: DecodedCommand, status: Int, detail: String) -> CommandOutcome {
        CommandOutcome(result: CommandResult(for: command, status: status, body: CommandResult.detailBody(detail)))
    }
}
