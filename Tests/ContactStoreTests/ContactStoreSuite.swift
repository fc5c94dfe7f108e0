import ContactDomain
import ContactStore
import Foundation
import Synchronization
import Testing

/// The behaviour every ``ContactStore`` must have, run against SQLite and PostgreSQL alike.
@Suite("ContactStore (shared suite, every backend)")
struct ContactStoreSuite {
    // MARK: - Migrations

    @Test("migrating twice is harmless and records every version", arguments: Backend.available)
    func migrationsAreIdempotent(backend: Backend) async throws {
        try await withStore(backend) { store in
            let first = try await store.appliedMigrations()
            #expect(first == Array(1...ContactStoreSchema.latestVersion))
            try await store.migrate()
            try await store.migrate()
            #expect(try await store.appliedMigrations() == first)
            try await store.ping()
        }
    }

    // MARK: - Batch round trip

    @Test("a batch round-trips every field exactly, timestamps to the microsecond", arguments: Backend.available)
    func batchRoundTrip(backend: Backend) async throws {
        try await withStore(backend) { store in
            // Before 1970, before PostgreSQL's 2000 epoch, odd microseconds: all must come back exact.
            let times: [Timestamp] = [
                Timestamp(microsecondsSinceEpoch: -1),
                Timestamp(microsecondsSinceEpoch: 946_684_799_999_999),
                Timestamp(microsecondsSinceEpoch: 946_684_800_000_001),
                Fixtures.baseTime,
                Timestamp(microsecondsSinceEpoch: 4_102_444_800_000_000 - 1),
            ]
            let contactID = UUID()
            let contact = Contact(
                id: contactID, businessID: Fixtures.business, firstName: "Ada", lastName: nil,
                companyName: "Analytical Engines Ltd", displayName: "Analytical Engines Ltd",
                email: "ada@example.com", phone: "+44 20 7946 0000", relationshipStatus: .qualifiedLead,
                lifecycleStage: .interest, lastContacted: times[4], createdAt: times[0], updatedAt: times[3])
            let interactions = times.enumerated().map { index, time in
                Interaction(
                    id: UUID(), contactID: contactID, type: InteractionType.allCases[index],
                    description: "é ✓ \(index)",
                    timestamp: time, outcome: index.isMultiple(of: 2) ? nil : "ok", nextAction: "call back",
                    scheduledFollowUp: index.isMultiple(of: 2) ? time : nil, performedBy: "Grace Hopper",
                    performedByID: "user-\(index)")
            }
            let history = [
                Fixtures.historyEntry(contactID: contactID, to: .prospect, at: times[1]),
                StatusHistoryEntry(
                    id: UUID(), contactID: contactID, fromStatus: .prospect, toStatus: .qualifiedLead,
                    fromLifecycleStage: .awareness, toLifecycleStage: .interest, timestamp: times[2],
                    changedBy: "Grace", changedByID: "user-1", reason: "met at fair", notes: "multi\nline"),
            ]
            let command = Fixtures.processed(contactID: contactID, body: [0x7B, 0x00, 0xFF, 0x80, 0x7D], at: times[3])
            let event = Fixtures.event(contactID: contactID, at: times[3])
            let message = OutboxMessage(
                topic: "contacts.command-results", key: nil, value: [0, 1, 2, 255],
                headers: [("correlation-id", Array("c-1".utf8)), ("empty", []), ("correlation-id", [0xFF])],
                contactID: nil)
            try await store.apply(
                StoreBatch(
                    contacts: [contact], interactions: interactions, statusHistory: history,
                    processedCommands: [command], events: [event], outbox: [message],
                    offsets: [ConsumerOffset(group: "g", topic: "contacts.commands", partition: 3, nextOffset: 42)]))

            #expect(try await store.contact(id: contactID, businessID: Fixtures.business) == contact)
            #expect(try await store.contacts(ids: [contactID]) == [contactID: contact])
            let page = try await store.interactions(contactID: contactID, skip: 0, limit: 100)
            #expect(page.total == interactions.count)
            #expect(page.items == interactions.sorted { $0.timestamp > $1.timestamp })
            let historyPage = try await store.statusHistory(contactID: contactID, skip: 0, limit: 100)
            #expect(historyPage.items == history.reversed())
            #expect(try await store.processedCommands(ids: [command.commandID]) == [command.commandID: command])
            #expect(try await store.events(.contact(contactID)) == [event])
            let pending = try await store.pendingOutbox(limit: 10)
            #expect(pending.count == 1)
            var expected = message
            expected.sequence = pending.first?.sequence
            #expect(pending == [expected])
            #expect(try await store.offsets(group: "g", topic: "contacts.commands") == [3: 42])
        }
    }

    @Test("a later batch's contact upsert replaces the stored state", arguments: Backend.available)
    func contactUpsertReplacesState(backend: Backend) async throws {
        try await withStore(backend) { store in
            let original = Fixtures.contact()
            try await store.apply(StoreBatch(contacts: [original]))
            var updated = original
            updated.relationshipStatus = .qualifiedLead
            updated.lifecycleStage = .interest
            updated.lastContacted = Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch + 1)
            updated.updatedAt = updated.lastContacted ?? updated.updatedAt
            // The same contact twice in one batch: the last state wins.
            var intermediate = original
            intermediate.email = "intermediate@example.com"
            try await store.apply(StoreBatch(contacts: [intermediate, updated]))
            #expect(try await store.contact(id: original.id, businessID: Fixtures.business) == updated)

            // Same status and business (the common case, written without touching their indexes):
            // every other column is still replaced.
            var touched = updated
            touched.firstName = "Renamed"
            touched.lastName = nil
            touched.companyName = "Other Co"
            touched.displayName = "Renamed"
            touched.email = nil
            touched.phone = "+1 555 0100"
            touched.lifecycleStage = .consideration
            touched.lastContacted = Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch + 2)
            touched.createdAt = Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch - 5)
            touched.updatedAt = Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch + 2)
            try await store.apply(StoreBatch(contacts: [touched]))
            #expect(try await store.contact(id: original.id, businessID: Fixtures.business) == touched)
        }
    }

    // MARK: - Atomicity

    /// Ways to make the last row of a batch fail. (Interaction and event ids are unique by
    /// construction, not by an index: migration 9.)
    enum BatchFailure: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case duplicateCommandID
        case interactionForMissingContact
        case duplicateHistoryID

        var testDescription: String { rawValue }
    }

    @Test(
        "a batch whose last row violates a constraint leaves nothing of the batch behind",
        arguments: Backend.available, BatchFailure.allCases)
    func batchIsAtomic(backend: Backend, failure: BatchFailure) async throws {
        try await withStore(backend) { store in
            // Committed state before the failing batch.
            let existing = Fixtures.contact()
            let existingCommand = Fixtures.processed(contactID: existing.id)
            let existingInteraction = Fixtures.interaction(contactID: existing.id)
            let existingEntry = Fixtures.historyEntry(contactID: existing.id)
            try await store.apply(
                StoreBatch(
                    contacts: [existing], interactions: [existingInteraction], statusHistory: [existingEntry],
                    processedCommands: [existingCommand],
                    offsets: [ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 10)]))
            let before = try await store.pendingOutbox(limit: 100)

            let fresh = Fixtures.contact()
            let command = Fixtures.processed(contactID: fresh.id)
            var interactions = [Fixtures.interaction(contactID: fresh.id)]
            var history = [Fixtures.historyEntry(contactID: fresh.id)]
            var commands = [command]
            switch failure {
            case .duplicateCommandID:
                commands.append(Fixtures.processed(id: existingCommand.commandID))
            case .interactionForMissingContact:
                interactions.append(Fixtures.interaction(contactID: UUID()))
            case .duplicateHistoryID:
                history.append(Fixtures.historyEntry(id: existingEntry.id, contactID: fresh.id))
            }
            let event = Fixtures.event(contactID: fresh.id)
            let batch = StoreBatch(
                contacts: [fresh], interactions: interactions, statusHistory: history, processedCommands: commands,
                events: [event], outbox: [Fixtures.outbox(contactID: fresh.id, value: "event")],
                offsets: [ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 11)])

            let error = await #expect(throws: StoreError.self) { try await store.apply(batch) }
            if case .constraintViolation = error {
            } else {
                Issue.record("expected a constraint violation, got \(String(describing: error))")
            }
            #expect(error?.isRetriable == false)

            #expect(try await store.contact(id: fresh.id, businessID: Fixtures.business) == nil)
            #expect(try await store.interactions(contactID: fresh.id, skip: 0, limit: 10).total == 0)
            #expect(try await store.statusHistory(contactID: fresh.id, skip: 0, limit: 10).total == 0)
            #expect(try await store.processedCommands(ids: [command.commandID]).isEmpty)
            #expect(try await store.events(.contact(fresh.id)).isEmpty)
            #expect(try await store.pendingOutbox(limit: 100) == before)
            #expect(try await store.offsets(group: "g", topic: "t") == [0: 10])
            // The store is still usable after the rollback.
            try await store.apply(
                StoreBatch(offsets: [ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 12)]))
            #expect(try await store.offsets(group: "g", topic: "t") == [0: 12])
        }
    }

    // MARK: - Idempotency lookups

    @Test("processed commands come back by id with the exact result bytes", arguments: Backend.available)
    func processedCommandLookups(backend: Backend) async throws {
        try await withStore(backend) { store in
            let bodies: [[UInt8]] = [[], [0x00], Array(0...255), Array(#"{"detail":"Contact not found"}"#.utf8)]
            var commands = bodies.enumerated().map { index, body in
                Fixtures.processed(status: [201, 404, 422, 409][index], body: body)
            }
            // A malformed command: non-UUID id and no envelope fields.
            commands.append(
                ProcessedCommand(
                    commandID: "not-a-uuid", fingerprint: "f", businessID: nil, contactID: nil, commandType: nil,
                    resultStatus: 422, resultBody: Array("{}".utf8), processedAt: Fixtures.baseTime))
            // More ids than one SQL statement binds, to exercise chunking.
            let many = (0..<1_200).map { _ in Fixtures.processed() }
            try await store.apply(StoreBatch(processedCommands: commands + many))

            let lookup = try await store.processedCommands(ids: commands.map(\.commandID) + ["never-seen"])
            #expect(lookup.count == commands.count)
            for command in commands {
                #expect(lookup[command.commandID] == command)
            }
            let bulk = try await store.processedCommands(ids: many.map(\.commandID))
            #expect(bulk.count == many.count)
            #expect(try await store.processedCommands(ids: []).isEmpty)
        }
    }

    // MARK: - Pagination

    @Test("interaction pages: newest first, stable on equal timestamps, exact edges", arguments: Backend.available)
    func interactionPagination(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contact = Fixtures.contact()
            // 250 interactions, written out of time order; timestamps repeat in runs of 5 so the
            // recording-order tie-break matters.
            let recorded = (0..<250).map { index in
                Fixtures.interaction(
                    contactID: contact.id,
                    at: Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch + Int64(index / 5)))
            }.shuffled()
            try await store.apply(StoreBatch(contacts: [contact], interactions: recorded))
            let expected = newestFirst(recorded, \.timestamp)

            let first = try await store.interactions(contactID: contact.id, skip: 0, limit: 100)
            #expect(first.items == Array(expected[0..<100]))
            #expect(first.total == 250 && first.skip == 0 && first.limit == 100)
            let last = try await store.interactions(contactID: contact.id, skip: 200, limit: 100)
            #expect(last.items == Array(expected[200..<250]))
            let exactEnd = try await store.interactions(contactID: contact.id, skip: 250, limit: 100)
            #expect(exactEnd.items.isEmpty && exactEnd.total == 250)
            let pastEnd = try await store.interactions(contactID: contact.id, skip: 10_000, limit: 50)
            #expect(pastEnd == Page(items: [], total: 250, skip: 10_000, limit: 50))
            let one = try await store.interactions(contactID: contact.id, skip: 7, limit: 1)
            #expect(one.items == [expected[7]])
            let unknown = try await store.interactions(contactID: UUID(), skip: 0, limit: 100)
            #expect(unknown.items.isEmpty && unknown.total == 0)
        }
    }

    @Test("status history pages: newest first, stable on equal timestamps, exact edges", arguments: Backend.available)
    func statusHistoryPagination(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contact = Fixtures.contact()
            let recorded = (0..<120).map { index in
                Fixtures.historyEntry(
                    contactID: contact.id, from: index == 0 ? nil : .prospect,
                    to: index.isMultiple(of: 2) ? .prospect : .lostLead,
                    at: Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch + Int64(index / 3)))
            }.shuffled()
            try await store.apply(StoreBatch(contacts: [contact], statusHistory: recorded))
            let expected = newestFirst(recorded, \.timestamp)
            let first = try await store.statusHistory(contactID: contact.id, skip: 0, limit: 100)
            #expect(first.items == Array(expected[0..<100]) && first.total == 120)
            let rest = try await store.statusHistory(contactID: contact.id, skip: 100, limit: 100)
            #expect(rest.items == Array(expected[100..<120]))
            let pastEnd = try await store.statusHistory(contactID: contact.id, skip: 121, limit: 100)
            #expect(pastEnd.items.isEmpty && pastEnd.total == 120)
        }
    }

    @Test(
        "entries with one timestamp come back newest recorded first, the creation entry last, on every page",
        arguments: Backend.available)
    func equalTimestampsInRecordingOrder(backend: Backend) async throws {
        try await withStore(backend) { store in
            // Commands carrying one issued_at, written over three batches as a worker would: a
            // contact's creation, ten status changes and ten interactions, all at `issued`.
            let contact = Fixtures.contact()
            let issued = Fixtures.baseTime
            let creation = Fixtures.historyEntry(contactID: contact.id, at: issued)
            let statuses: [RelationshipStatus] = [.qualifiedLead, .prospect]
            let changes = (0..<10).map { index in
                Fixtures.historyEntry(
                    contactID: contact.id, from: statuses[(index + 1) % 2], to: statuses[index % 2], at: issued)
            }
            let interactions = (0..<10).map { index in
                Fixtures.interaction(contactID: contact.id, at: issued, description: "interaction \(index)")
            }
            // A timestamp still comes first: a later one recorded early, an earlier one recorded last.
            let later = Fixtures.interaction(
                contactID: contact.id, at: Timestamp(microsecondsSinceEpoch: issued.microsecondsSinceEpoch + 1),
                description: "later")
            let earlier = Fixtures.interaction(
                contactID: contact.id, at: Timestamp(microsecondsSinceEpoch: issued.microsecondsSinceEpoch - 1),
                description: "earlier")
            try await store.apply(
                StoreBatch(
                    contacts: [contact], interactions: [later] + interactions[0..<3],
                    statusHistory: [creation] + changes[0..<3]))
            try await store.apply(
                StoreBatch(interactions: Array(interactions[3..<7]), statusHistory: Array(changes[3..<7])))
            try await store.apply(
                StoreBatch(interactions: interactions[7..<10] + [earlier], statusHistory: Array(changes[7..<10])))

            let expectedInteractions = [later] + interactions.reversed() + [earlier]
            let expectedHistory = changes.reversed() + [creation]
            #expect(
                try await store.interactions(contactID: contact.id, skip: 0, limit: 100).items.map(\.description)
                    == expectedInteractions.map(\.description))
            #expect(try await store.statusHistory(contactID: contact.id, skip: 0, limit: 100).items == expectedHistory)
            // Pages of 3 split the runs of equal timestamps and still add up to the same order.
            var interactionPages: [Interaction] = []
            var historyPages: [StatusHistoryEntry] = []
            for skip in stride(from: 0, to: 12, by: 3) {
                let interactionPage = try await store.interactions(contactID: contact.id, skip: skip, limit: 3)
                #expect(interactionPage.total == 12)
                interactionPages += interactionPage.items
                let historyPage = try await store.statusHistory(contactID: contact.id, skip: skip, limit: 3)
                #expect(historyPage.total == 11)
                historyPages += historyPage.items
            }
            #expect(interactionPages == expectedInteractions)
            #expect(historyPages == expectedHistory)
            #expect(historyPages.last?.fromStatus == nil)
        }
    }

    /// `recorded`, in the order it was written, as the stores list it: timestamp descending, and
    /// among equal timestamps the last recorded first.
    private func newestFirst<Item>(_ recorded: [Item], _ timestamp: (Item) -> Timestamp) -> [Item] {
        recorded.enumerated().sorted { newer, older in
            let (newerTime, olderTime) = (timestamp(newer.element), timestamp(older.element))
            return newerTime != olderTime ? newerTime > olderTime : newer.offset > older.offset
        }.map(\.element)
    }

    // MARK: - Business isolation

    @Test("another business's contact reads as missing", arguments: Backend.available)
    func businessIsolation(backend: Backend) async throws {
        try await withStore(backend) { store in
            let mine = Fixtures.contact(business: Fixtures.business)
            let theirs = Fixtures.contact(business: Fixtures.otherBusiness)
            try await store.apply(StoreBatch(contacts: [mine, theirs]))
            #expect(try await store.contact(id: mine.id, businessID: Fixtures.business) == mine)
            #expect(try await store.contact(id: theirs.id, businessID: Fixtures.business) == nil)
            #expect(try await store.contact(id: mine.id, businessID: Fixtures.otherBusiness) == nil)
            #expect(try await store.contact(id: UUID(), businessID: Fixtures.business) == nil)
            // The bulk load is unscoped on purpose: the domain makes the business check.
            let missing = UUID()
            #expect(
                try await store.contacts(ids: [mine.id, theirs.id, missing]) == [mine.id: mine, theirs.id: theirs])
        }
    }

    // MARK: - Unbounded history

    @Test("10,000 interactions on one contact are all kept and page through in order", arguments: Backend.available)
    func unboundedHistory(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contact = Fixtures.contact()
            try await store.apply(StoreBatch(contacts: [contact]))
            let count = 10_000
            var all: [Interaction] = []
            for batch in 0..<10 {
                let interactions = (0..<1_000).map { offset in
                    Fixtures.interaction(
                        contactID: contact.id,
                        at: Timestamp(
                            microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch
                                + Int64((batch * 1_000 + offset) / 2)))
                }
                all += interactions
                try await store.apply(StoreBatch(interactions: interactions))
            }
            var seen: [Interaction] = []
            var skip = 0
            while true {
                let page = try await store.interactions(contactID: contact.id, skip: skip, limit: 100)
                #expect(page.total == count)
                if page.items.isEmpty { break }
                #expect(page.items.count == 100)
                seen += page.items
                skip += 100
            }
            #expect(seen.count == count)
            #expect(seen.map(\.id) == newestFirst(all, \.timestamp).map(\.id))
        }
    }

    // MARK: - Offsets

    @Test("offsets round-trip per group, topic and partition, and only ever move forward", arguments: Backend.available)
    func offsetsRoundTrip(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.offsets(group: "g", topic: "t").isEmpty)
            try await store.apply(
                StoreBatch(offsets: [
                    ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 5),
                    ConsumerOffset(group: "g", topic: "t", partition: 1, nextOffset: 7),
                    ConsumerOffset(group: "g", topic: "other", partition: 0, nextOffset: 100),
                    ConsumerOffset(group: "h", topic: "t", partition: 0, nextOffset: 200),
                ]))
            try await store.apply(
                StoreBatch(offsets: [
                    ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 6),
                    ConsumerOffset(group: "g", topic: "t", partition: Int32.max, nextOffset: Int64.max),
                ]))
            #expect(try await store.offsets(group: "g", topic: "t") == [0: 6, 1: 7, Int32.max: Int64.max])
            #expect(try await store.offsets(group: "g", topic: "other") == [0: 100])
            #expect(try await store.offsets(group: "h", topic: "t") == [0: 200])
            // Offsets only move forward: a batch finished late by a worker that lost the
            // partition (or a message isolated after a newer batch) cannot rewind it, which would
            // make the next owner re-read what was already processed.
            try await store.apply(
                StoreBatch(offsets: [ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 0)]))
            #expect(try await store.offsets(group: "g", topic: "t")[0] == 6)
        }
    }

    @Test(
        "the first offset is kept from a partition's first stored batch; unknown ones are absent",
        arguments: Backend.available)
    func firstOffsetsAreKept(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.firstOffsets(group: "g", topic: "t").isEmpty)
            try await store.apply(
                StoreBatch(offsets: [
                    ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 40, firstOffset: 30),
                    ConsumerOffset(group: "g", topic: "t", partition: 1, nextOffset: 7),
                    ConsumerOffset(group: "h", topic: "t", partition: 0, nextOffset: 9, firstOffset: 2),
                ]))
            // Later batches move the position on but never the first offset.
            try await store.apply(
                StoreBatch(offsets: [
                    ConsumerOffset(group: "g", topic: "t", partition: 0, nextOffset: 50, firstOffset: 40),
                    ConsumerOffset(group: "g", topic: "t", partition: 1, nextOffset: 9, firstOffset: 7),
                ]))
            #expect(try await store.offsets(group: "g", topic: "t") == [0: 50, 1: 9])
            #expect(try await store.firstOffsets(group: "g", topic: "t") == [0: 30])
            #expect(try await store.firstOffsets(group: "h", topic: "t") == [0: 2])
        }
    }

    // MARK: - Outbox

    @Test(
        "outbox order is insertion order across batches; published rows never come back", arguments: Backend.available)
    func outboxOrdering(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contacts = [UUID(), UUID(), UUID()]
            var enqueued: [OutboxMessage] = []
            for batch in 0..<3 {
                var messages: [OutboxMessage] = []
                for step in 0..<4 {
                    for contact in contacts.shuffled() {
                        messages.append(Fixtures.outbox(contactID: contact, value: "b\(batch)-s\(step)-\(contact)"))
                    }
                }
                enqueued += messages
                try await store.apply(StoreBatch(outbox: messages))
            }
            let pending = try await store.pendingOutbox(limit: 1_000)
            #expect(pending.map(\.value) == enqueued.map(\.value))
            let sequences = pending.compactMap(\.sequence)
            #expect(sequences.count == pending.count)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
            #expect(pending.first?.headers.first?.name == "content-type")

            let limited = try await store.pendingOutbox(limit: 5)
            #expect(limited == Array(pending.prefix(5)))
            #expect(try await store.pendingOutboxCount() == 36)

            try await store.markPublished(sequences: Array(sequences.prefix(10)))
            let remaining = try await store.pendingOutbox(limit: 1_000)
            #expect(remaining == Array(pending.dropFirst(10)))
            #expect(try await store.pendingOutboxCount() == 26)

            // Scattered, unsorted, repeated and already-deleted sequences: exactly those rows go.
            let scattered = [
                sequences[12], sequences[11], sequences[14], sequences[20], sequences[21], sequences[12], sequences[0],
            ]
            try await store.markPublished(sequences: scattered)
            let gone: Set<Int64> = Set(sequences.prefix(10)).union(scattered)
            #expect(try await store.pendingOutbox(limit: 1_000) == pending.filter { !gone.contains($0.sequence ?? -1) })
            #expect(try await store.pendingOutboxCount() == 21)
            try await store.markPublished(sequences: [.max, .min, .max, -1])
            #expect(try await store.pendingOutboxCount() == 21)

            // Publishing everything and enqueueing again continues the numbering.
            try await store.markPublished(sequences: sequences)
            #expect(try await store.pendingOutbox(limit: 1_000).isEmpty)
            #expect(try await store.pendingOutboxCount() == 0)
            try await store.apply(StoreBatch(outbox: [Fixtures.outbox(contactID: contacts[0], value: "later")]))
            let later = try await store.pendingOutbox(limit: 10)
            #expect(later.map(\.value) == [Array("later".utf8)])
            #expect((later.first?.sequence ?? 0) > (sequences.last ?? .max))
        }
    }

    @Test(
        "a batch can mark earlier outbox rows published in its own transaction, atomically",
        arguments: Backend.available)
    func batchMarksPublished(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contact = UUID()
            let first = try await store.apply(
                StoreBatch(outbox: (0..<4).map { Fixtures.outbox(contactID: contact, value: "first-\($0)") }))
            let second = StoreBatch(
                outbox: [Fixtures.outbox(contactID: contact, value: "second")],
                published: Array(first.prefix(3)) + [999_999])
            let added = try await store.apply(second)
            #expect(
                try await store.pendingOutbox(limit: 10).map(\.value) == [Array("first-3".utf8), Array("second".utf8)])
            #expect(try await store.pendingOutbox(limit: 10).compactMap(\.sequence) == [first[3]] + added)

            // A batch that fails rolls back its deletions too.
            let fresh = Fixtures.contact()
            let failing = StoreBatch(
                interactions: [Fixtures.interaction(contactID: UUID())],
                outbox: [Fixtures.outbox(contactID: fresh.id, value: "lost")],
                published: [first[3]] + added)
            await #expect(throws: StoreError.self) { try await store.apply(failing) }
            #expect(try await store.pendingOutboxCount() == 2)
        }
    }

    @Test(
        "pending rows are selected by source partition, rows without one by every selection; a batch keeps its order per partition",
        arguments: Backend.available)
    func outboxSelectedBySourcePartition(backend: Backend) async throws {
        try await withStore(backend) { store in
            let contact = UUID()
            func message(_ value: String, _ partition: Int32?) -> OutboxMessage {
                var message = Fixtures.outbox(contactID: contact, value: value)
                message.sourcePartition = partition
                return message
            }
            let first = [message("a", 0), message("b", 1), message("c", nil), message("d", 0), message("e", 2)]
            let second = [message("f", 1), message("g", 0)]
            let firstSequences = try await store.apply(StoreBatch(outbox: first))
            let secondSequences = try await store.apply(StoreBatch(outbox: second))

            // Stored one row per partition, in the order the partitions first appear in the batch.
            let pending = try await store.pendingOutbox(limit: 100)
            #expect(pending.map { String(decoding: $0.value, as: UTF8.self) } == ["a", "d", "b", "c", "e", "f", "g"])
            #expect(pending.map(\.sourcePartition) == [0, 0, 1, nil, 2, 1, 0])
            // The sequences `apply` returned are each message's, in the batch's order.
            let sequenceByValue = Dictionary(
                uniqueKeysWithValues: pending.map { (String(decoding: $0.value, as: UTF8.self), $0.sequence) })
            #expect(firstSequences == ["a", "b", "c", "d", "e"].map { sequenceByValue[$0] ?? nil })
            #expect(secondSequences == ["f", "g"].map { sequenceByValue[$0] ?? nil })

            func values(_ partitions: Set<Int32>?, limit: Int = 100) async throws -> [String] {
                try await store.pendingOutbox(OutboxSelection(sourcePartitions: partitions), limit: limit)
                    .map { String(decoding: $0.value, as: UTF8.self) }
            }
            #expect(try await values([0]) == ["a", "d", "c", "g"])
            #expect(try await values([1, 2]) == ["b", "c", "e", "f"])
            #expect(try await values([]) == ["c"])
            #expect(try await values([7]) == ["c"])
            #expect(try await values(nil) == ["a", "d", "b", "c", "e", "f", "g"])
            #expect(try await values([0], limit: 3) == ["a", "d", "c"])

            // A row marked in part keeps its partition.
            try await store.markPublished(sequences: [firstSequences[0]])
            let left = try await store.pendingOutbox(OutboxSelection(sourcePartitions: [0]), limit: 100)
            #expect(left.map { String(decoding: $0.value, as: UTF8.self) } == ["d", "c", "g"])
            #expect(left.map(\.sourcePartition) == [0, nil, 0])
            #expect(try await store.pendingOutboxCount() == 6)
        }
    }

    @Test(
        "a selection bounded by the last sequence leaves out the rows committed after it was read",
        arguments: Backend.available)
    func outboxSelectionBoundedBySequence(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.lastOutboxSequence() == nil)
            let contact = UUID()
            func message(_ value: String, _ partition: Int32?) -> OutboxMessage {
                var message = Fixtures.outbox(contactID: contact, value: value)
                message.sourcePartition = partition
                return message
            }
            let before = try await store.apply(StoreBatch(outbox: [message("a", 0), message("b", 1), message("c", 0)]))
            let last = try #require(try await store.lastOutboxSequence())
            #expect(last == before.max())
            try await store.apply(StoreBatch(outbox: [message("d", 0), message("e", nil)]))

            func values(_ selection: OutboxSelection) async throws -> [String] {
                try await store.pendingOutbox(selection, limit: 100).map { String(decoding: $0.value, as: UTF8.self) }
            }
            #expect(try await values(OutboxSelection(throughSequence: last)) == ["a", "c", "b"])
            #expect(try await values(OutboxSelection(sourcePartitions: [0], throughSequence: last)) == ["a", "c"])
            #expect(try await values(OutboxSelection(sourcePartitions: [], throughSequence: last)) == [])
            #expect(try await values(OutboxSelection(sourcePartitions: [])) == ["e"])

            // Emptied, the outbox has no last sequence; the numbering goes on from where it was.
            try await store.markPublished(sequences: try await store.pendingOutbox(limit: 100).compactMap(\.sequence))
            #expect(try await store.lastOutboxSequence() == nil)
            let later = try await store.apply(StoreBatch(outbox: [message("f", 0)]))
            #expect(try await store.lastOutboxSequence() == later.first)
            #expect((later.first ?? 0) > last)
        }
    }

    // MARK: - Events

    /// `seconds` after the fixtures' base time.
    private func at(_ seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Fixtures.baseTime.microsecondsSinceEpoch + seconds * 1_000_000)
    }

    @Test("events come back by contact and by time range in their original order", arguments: Backend.available)
    func eventsByContactAndTime(backend: Backend) async throws {
        try await withStore(backend) { store in
            let a = UUID()
            let b = UUID()
            let first = [
                Fixtures.event(contactID: a, type: "ContactCreated", at: at(0)),
                Fixtures.event(contactID: b, type: "ContactCreated", at: at(1)),
                Fixtures.event(contactID: a, type: "StatusChanged", at: at(2)),
            ]
            // A later batch with an earlier event time: original (insertion) order still wins.
            let second = [
                Fixtures.event(contactID: a, type: "InteractionRecorded", at: at(1)),
                Fixtures.event(contactID: b, type: "StatusChanged", at: at(3)),
            ]
            try await store.apply(StoreBatch(events: first))
            try await store.apply(StoreBatch(events: second))
            let all = first + second
            #expect(try await store.events(.contact(a)) == all.filter { $0.contactID == a })
            #expect(try await store.events(.contact(b)) == all.filter { $0.contactID == b })
            #expect(try await store.events(.contact(UUID())).isEmpty)
            #expect(try await store.events(.time(since: at(1), until: at(3))) == [first[1], first[2], second[0]])
            #expect(try await store.events(.time(since: at(0), until: nil)) == all)
            #expect(try await store.events(.time(since: at(4), until: nil)).isEmpty)
        }
    }

    @Test("events are handed out page by page, each event once, in original order", arguments: Backend.available)
    func eventPages(backend: Backend) async throws {
        try await withStore(backend) { store in
            let a = UUID()
            let b = UUID()
            // Times go round in a 50-second cycle, so a time range's events are scattered over the
            // whole sequence and not in time order.
            let all: [StoredEvent] = (0..<2_501).map { (index: Int) -> StoredEvent in
                let second = Int64(index * 7 % 50)
                let contact: UUID = index % 3 == 0 ? a : b
                return Fixtures.event(contactID: contact, at: at(second))
            }
            for start in stride(from: 0, to: all.count, by: 1_000) {
                try await store.apply(StoreBatch(events: Array(all[start..<min(start + 1_000, all.count)])))
            }

            func pages(_ selection: EventSelection, size: Int) async throws -> [[StoredEvent]] {
                let pages = Mutex<[[StoredEvent]]>([])
                try await store.forEachEventPage(selection, pageSize: size) { page in pages.withLock { $0.append(page) }
                }
                return pages.withLock { $0 }
            }
            let ofA = all.filter { $0.contactID == a }
            let byContact = try await pages(.contact(a), size: 100)
            #expect(byContact.map(\.count) == Array(repeating: 100, count: 8) + [34])
            #expect(byContact.flatMap { $0 } == ofA)

            let inRange = all.filter { $0.time >= at(10) && $0.time < at(20) }
            let byTime = try await pages(.time(since: at(10), until: at(20)), size: 7)
            #expect(inRange.count == 500)
            #expect(byTime.map(\.count) == Array(repeating: 7, count: 71) + [3])
            #expect(byTime.flatMap { $0 } == inRange)

            let exact = try await pages(.time(since: at(0), until: nil), size: 2_501)
            #expect(exact.map(\.count) == [2_501])
            #expect(exact.flatMap { $0 } == all)
            #expect(try await pages(.time(since: at(50), until: nil), size: 10).isEmpty)
            #expect(try await pages(.time(since: at(20), until: at(20)), size: 10).isEmpty)
            #expect(try await pages(.contact(UUID()), size: 10).isEmpty)

            // The page handler's own error stops the reading and comes back as it was thrown.
            struct Stop: Error {}
            let calls = Mutex(0)
            await #expect(throws: Stop.self) {
                try await store.forEachEventPage(.contact(a), pageSize: 100) { _ in
                    let call = calls.withLock { count in
                        count += 1
                        return count
                    }
                    if call == 2 { throw Stop() }
                }
            }
            #expect(calls.withLock { $0 } == 2)
        }
    }

    // MARK: - Lifecycle

    @Test("calls after close fail with a non-retriable closed error", arguments: Backend.available)
    func closedStore(backend: Backend) async throws {
        var closedStore: (any ContactStore)?
        try await withStore(backend) { store in
            closedStore = store
        }
        guard let store = closedStore else { return }
        let error = await #expect(throws: StoreError.self) { try await store.ping() }
        if case .closed = error {} else { Issue.record("expected .closed, got \(String(describing: error))") }
        #expect(error?.isRetriable == false)
    }
}
