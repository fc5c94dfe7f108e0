import ContactDomain
import ContactStore
import Foundation
import Kafka
import Logging
import Synchronization

/// Turns one batch of consumed messages into one ``StoreBatch``: state changes, idempotency
/// records, the events, results and dead letters to publish, and the partitions' next offsets.
///
/// This is where the worker is exactly-once about state: the batch is written in one
/// transaction, so a command's state change, its outbox rows and the offset past it become
/// durable together or not at all. Commands are applied strictly in message order, each seeing the
/// state left by the ones before it (also within the batch), so per-contact order holds.
///
/// - Important: An event depends only on its command and the stored state, never on the clock:
///   its id (``DeterministicID``), time and body repeat exactly when a batch is decided again
///   after a crash or a handover, so consumers see a duplicate they can recognise, never a
///   variant. The clock (`now`) reaches only token expiry and the results' `processed_at`.
public struct CommandBatchProcessor: Sendable {
    /// Everything the processor needs besides the messages.
    public struct Context: Sendable {
        public var store: any ContactStore
        public var verifier: TokenVerifier
        public var decoder: CommandDecoder
        public var topics: WorkerTopics
        /// The consumer group whose offsets are stored with the batch.
        public var group: String
        /// The CloudEvents `source` attribute.
        public var eventSource: String
        /// Decides how much of each message's decision a plan keeps for logging: rejections and
        /// dead letters always, applied and duplicate commands only when this logs `debug`.
        public var logger: Logger

        public init(
            store: any ContactStore,
            verifier: TokenVerifier,
            decoder: CommandDecoder = CommandDecoder(),
            topics: WorkerTopics,
            group: String,
            eventSource: String = ContactEvent.defaultSource,
            logger: Logger = Logger(label: "contact-worker", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.store = store
            self.verifier = verifier
            self.decoder = decoder
            self.topics = topics
            self.group = group
            self.eventSource = eventSource
            self.logger = logger
        }
    }

    /// The batch to write and what it amounted to.
    public struct Plan: Sendable {
        public var batch: StoreBatch
        public var summary: BatchSummary
        /// Per-message decisions to log once the batch is published (see ``Context/logger``).
        public var decisions: [CommandDecision] = []
    }

    public let context: Context

    public init(context: Context) {
        self.context = context
    }

    /// Builds the plan for `messages` (in consumption order). Reads the store (contacts and
    /// idempotency records the batch touches) but writes nothing.
    ///
    /// - Parameters:
    ///   - now: the wall clock, used only for token expiry and the results' `processed_at`;
    ///     everything recorded takes its time from the command.
    ///   - storeOffsets: whether to record the partitions' next offsets (off for `replay`, which
    ///     must not move the group's position).
    ///   - authorizeAtMessageTime: check token expiry against each message's Kafka timestamp
    ///     instead of `now` (for `replay`: a command authorised when it was sent stays authorised,
    ///     so replaying last month's commands rebuilds the same state).
    ///   - unwritten: state planned by earlier batches that are not written (yet): it is read on
    ///     top of the store, and this batch's outcome is added to it when it gathers plans (a dry
    ///     run's, ``UnwrittenState/gather(_:)``).
    ///   - decided: per partition, the offsets where the group's workers decided every message
    ///     against this database (`replay`). There a message without an idempotency record was
    ///     answered 401/403 or dead-lettered; it is skipped rather than decided again with today's
    ///     inputs (a token that had expired when the worker saw it must not authorise the command
    ///     now, and a poison message must not be dead-lettered twice).
    public func plan(
        _ messages: [KafkaMessage], now: Timestamp, storeOffsets: Bool = true, authorizeAtMessageTime: Bool = false,
        unwritten: UnwrittenState? = nil, decided: [Int32: Range<Int64>] = [:]
    ) async throws -> Plan {
        var summary = BatchSummary()
        var batch = StoreBatch()
        var decisions: [CommandDecision] = []
        let decidesRoutineToo = context.logger.logLevel <= .debug

        // Classify first, so the store is read once for the whole batch. The messages are
        // classified last first, so the classifications are kept last message first: the loop
        // below takes each one out with `removeLast()`, which moves it out of the array instead of
        // copying a decoded command and all its strings (as reversing the array would).
        var classified: [CommandClassification] = []
        classified.reserveCapacity(messages.count)
        var commandIDs: [String] = []
        commandIDs.reserveCapacity(messages.count)
        var contactIDs: Set<UUID> = []
        contactIDs.reserveCapacity(messages.count)
        for message in messages.reversed() {
            // Read in place: only the two values become strings. For these two names any case is
            // ASCII case: the only other character that lower-cases or normalises to an ASCII
            // letter is the Kelvin sign (to `k`), which neither name contains.
            let headers = CommandHeaders(
                authorization: message.lastHeaderString(anyCaseNamed: CommandHeaders.authorizationKey),
                correlationID: message.lastHeaderString(anyCaseNamed: CommandHeaders.correlationIDKey))
            let timestamp = message.timestamp.map { Timestamp(millisecondsSinceEpoch: $0.milliseconds) }
            let classification = context.decoder.classify(
                value: message.valueBytes, messageTimestamp: timestamp, headers: headers)
            let keys = classification.lookupKeys
            if let commandID = keys.commandID { commandIDs.append(commandID) }
            if let contactID = keys.contactID { contactIDs.insert(contactID) }
            classified.append(classification)
        }
        // The two lookups are independent: one round trip's wait instead of two.
        let store = context.store
        let lookupIDs = commandIDs
        async let processedLookup = lookupIDs.isEmpty ? [:] : store.processedCommands(ids: lookupIDs)
        var contacts = contactIDs.isEmpty ? [:] : try await store.contacts(ids: Array(contactIDs))
        var processed = try await processedLookup
        unwritten?.carry(commandIDs: commandIDs, into: &processed, contactIDs: contactIDs, into: &contacts)
        // Each holds at most one entry per id looked up (a new contact's id, and a new record's
        // command id, are among them): sized once instead of growing and rehashing.
        processed.reserveCapacity(commandIDs.count)
        contacts.reserveCapacity(contactIDs.count)
        // Final state of each touched contact, written once, in first-touched order.
        var touchedContacts: [UUID] = []
        touchedContacts.reserveCapacity(contactIDs.count)
        var touched: Set<UUID> = []
        touched.reserveCapacity(contactIDs.count)

        for message in messages {
            // One classification per message, in the same order (classified last first above).
            let classification = classified.removeLast()
            let wasDecided = decided[message.partition]?.contains(message.offset) ?? false
            switch classification {
            case .deadLetter where wasDecided:
                summary.skipped += 1

            case .command(let decoded) where wasDecided && processed[decoded.commandID] == nil:
                summary.skipped += 1

            case .deadLetter(let reason):
                batch.outbox.append(deadLetter(message, reason: reason))
                summary.deadLettered += 1
                decisions.append(CommandDecision(message, outcome: .deadLettered, detail: reason))

            case .command(let decoded):
                if let contactID = decoded.validContactID, !Self.isKeyed(message, by: contactID) {
                    summary.misrouted += 1
                    if summary.misrouted == 1 {
                        context.logger.warning(
                            "command not keyed by its contact_id: its order with the contact's other commands is not guaranteed",
                            metadata: [
                                "topic": "\(message.topic)", "partition": "\(message.partition)",
                                "offset": "\(message.offset)",
                                "command_id": "\(decoded.commandID)",
                                "key": "\(message.key.map { String(decoding: $0.prefix(100), as: UTF8.self) } ?? "-")",
                            ])
                    }
                }
                let correlationID = decoded.headers.correlationID
                let authorizedAt =
                    authorizeAtMessageTime
                    ? message.timestamp.map { Timestamp(millisecondsSinceEpoch: $0.milliseconds) } ?? now : now
                let auth = await context.verifier.verify(
                    authorizationHeader: decoded.headers.authorization, now: authorizedAt)
                if decoded.hasIdempotencyKey, let previous = processed[decoded.commandID] {
                    // A seen command_id is answered (stored result or 409) only to a sender who
                    // may send the command: 401 and 403 come first, as for a new command (docs/contract.md §4).
                    if case .failure(let rejection) = ContactCommandProcessor.authorize(decoded: decoded, auth: auth) {
                        let result = rejection.outcome.result
                        summary.rejected += 1
                        summary.outcomes[.init(commandType: decoded.commandType, status: result.status), default: 0] +=
                            1
                        decisions.append(
                            Self.decision(message, decoded, status: result.status, .rejected, body: result.bodyBytes))
                        batch.outbox.append(
                            resultMessage(
                                ResultMessage.encode(
                                    result: result, correlationID: correlationID, duplicate: false, processedAt: now),
                                contactID: decoded.contactID, correlationID: correlationID, from: message))
                        continue
                    }
                    let result: [UInt8]
                    let status: Int
                    switch IdempotencyVerdict.compare(
                        storedFingerprint: previous.fingerprint, newFingerprint: decoded.fingerprint)
                    {
                    case .duplicate:
                        status = previous.resultStatus
                        result = ResultMessage.encode(
                            commandID: previous.commandID, correlationID: correlationID,
                            commandType: previous.commandType, businessID: previous.businessID,
                            contactID: previous.contactID, status: previous.resultStatus,
                            bodyBytes: previous.resultBody, duplicate: true, processedAt: now)
                        summary.duplicates += 1
                        if decidesRoutineToo {
                            decisions.append(Self.decision(message, decoded, status: status, .duplicate))
                        }
                    case .conflict:
                        let conflict = CommandResult.idempotencyConflict(for: decoded)
                        status = conflict.status
                        result = ResultMessage.encode(
                            result: conflict, correlationID: correlationID, duplicate: false, processedAt: now)
                        summary.rejected += 1
                        decisions.append(
                            Self.decision(message, decoded, status: status, .rejected, body: conflict.bodyBytes))
                    }
                    summary.outcomes[.init(commandType: decoded.commandType, status: status), default: 0] += 1
                    batch.outbox.append(
                        resultMessage(result, contactID: decoded.contactID, correlationID: correlationID, from: message)
                    )
                    continue
                }

                let current = decoded.validContactID.flatMap { contacts[$0] }
                // The outcome's parts are moved into the batch, not copied.
                let (result, outcomeChange) = ContactCommandProcessor.process(
                    decoded: decoded, auth: auth, current: current
                )
                .parts()
                let bodyBytes = result.bodyBytes
                // The Kafka key of the command's result and of its events about its own contact:
                // the contact id as the decoder spelled it, converted once.
                let key = decoded.contactID.map { Array($0.utf8) }

                // Bound once, by move (`consume`): the change is not copied.
                let appliedNow: Bool
                if var change = consume outcomeChange {
                    appliedNow = true
                    let contactID = change.contact.id
                    if touched.insert(contactID).inserted { touchedContacts.append(contactID) }
                    if let interaction = change.interaction.take() { batch.interactions.append(interaction) }
                    if let entry = change.historyEntry.take() { batch.statusHistory.append(entry) }
                    for event in change.events {
                        let body = event.encoded(source: context.eventSource)
                        let contactText: String
                        let contactKey: [UInt8]
                        if event.contactID == decoded.validContactID, let text = decoded.contactID, let key {
                            (contactText, contactKey) = (text, key)
                        } else {
                            contactText = event.contactID.lowercasedString
                            contactKey = Array(contactText.utf8)
                        }
                        batch.events.append(
                            StoredEvent(
                                id: event.id, contactID: event.contactID, businessID: event.businessID,
                                commandID: decoded.commandID, type: event.type.rawValue, time: event.time, body: body))
                        batch.outbox.append(
                            OutboxMessage(
                                topic: context.topics.events, key: contactKey, value: body,
                                headers: Self.eventHeaders,
                                contactID: contactText, sourcePartition: message.partition))
                    }
                    contacts[contactID] = change.contact
                    summary.applied += 1
                    if decidesRoutineToo {
                        decisions.append(Self.decision(message, decoded, status: result.status, .applied))
                    }
                } else {
                    appliedNow = false
                    summary.rejected += 1
                    decisions.append(
                        Self.decision(message, decoded, status: result.status, .rejected, body: bodyBytes))
                }
                summary.outcomes[.init(commandType: decoded.commandType, status: result.status), default: 0] += 1

                // Auth failures (401/403) say nothing about the command itself: the sender may
                // retry the same command_id with a valid token, so they are not remembered; nor is
                // a command whose command_id is no key at all.
                let remembered = result.status != 401 && result.status != 403 && decoded.hasIdempotencyKey
                // An applied command is always remembered: its record, unique by command id and
                // written in the same transaction, is what keeps the ids of its interaction and
                // events unique (decision 0015).
                assert(!appliedNow || remembered, "applied command \(decoded.commandID) left no idempotency record")
                if remembered {
                    let record = ProcessedCommand(
                        commandID: decoded.commandID, fingerprint: decoded.fingerprint,
                        businessID: result.businessID, contactID: result.contactID,
                        commandType: result.commandType, resultStatus: result.status,
                        resultBody: bodyBytes, processedAt: now)
                    batch.processedCommands.append(record)
                    processed[decoded.commandID] = consume record
                }
                batch.outbox.append(
                    resultMessage(
                        ResultMessage.encode(
                            result: result, bodyBytes: bodyBytes, correlationID: correlationID, duplicate: false,
                            processedAt: now),
                        contactID: decoded.contactID, key: key, correlationID: correlationID, from: message))
            }
        }

        batch.contacts = touchedContacts.compactMap { contacts[$0] }
        unwritten?.gather(batch)
        if storeOffsets {
            var range: [TopicPartition: (first: Int64, next: Int64)] = [:]
            for message in messages {
                let known = range[message.topicPartition]
                range[message.topicPartition] = (
                    min(known?.first ?? message.offset, message.offset), max(known?.next ?? 0, message.offset + 1)
                )
            }
            batch.offsets = range.sorted { $0.key < $1.key }.map {
                ConsumerOffset(
                    group: context.group, topic: $0.key.topic, partition: $0.key.partition, nextOffset: $0.value.next,
                    firstOffset: $0.value.first)
            }
        }
        return Plan(batch: batch, summary: summary, decisions: decisions)
    }

    /// Whether the message's key is `contactID` (any letter case, as a UUID's text).
    static func isKeyed(_ message: KafkaMessage, by contactID: UUID) -> Bool {
        guard let key = message.keyBytes, key.count == 36 else { return false }
        return UUID(strictUTF8: key) == contactID
    }

    // MARK: - Outbox messages

    /// The headers of every event, and the `content-type` header value of results, spelled once.
    private static let eventHeaders: [(name: String, value: [UInt8])] = [
        (name: "content-type", value: Array(ContactEvent.contentType.utf8))
    ]
    private static let resultContentType = Array(ResultMessage.contentType.utf8)
    /// The headers of a result without a correlation id.
    private static let resultHeaders: [(name: String, value: [UInt8])] = [
        (name: "content-type", value: resultContentType)
    ]

    /// The result of the command in `command`, published by the owner of its partition, keyed by
    /// `contactID`; `key` is that id's bytes when the caller has them already.
    private func resultMessage(
        _ value: [UInt8], contactID: String?, key: [UInt8]? = nil, correlationID: String?, from command: KafkaMessage
    ) -> OutboxMessage {
        let headers: [(name: String, value: [UInt8])] =
            if let correlationID {
                [
                    (name: "content-type", value: Self.resultContentType),
                    (name: CommandHeaders.correlationIDKey, value: Array(correlationID.utf8)),
                ]
            } else {
                Self.resultHeaders
            }
        return OutboxMessage(
            topic: context.topics.results, key: key ?? contactID.map { Array($0.utf8) }, value: value,
            headers: headers,
            contactID: contactID, sourcePartition: command.partition)
    }

    /// A decision to log for a command (see ``CommandDecision``); the result body, cut to 300
    /// bytes, says why when it was a rejection.
    private static func decision(
        _ message: KafkaMessage, _ decoded: DecodedCommand, status: Int, _ outcome: CommandDecision.Outcome,
        body: [UInt8]? = nil
    ) -> CommandDecision {
        CommandDecision(
            message, commandID: decoded.commandID, commandType: decoded.commandType, status: status, outcome: outcome,
            detail: body.map { String(decoding: $0.prefix(300), as: UTF8.self) })
    }
}
