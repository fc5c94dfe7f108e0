import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

@Suite("HTTP read side: interactions and status history over HTTP (docs/contract.md §4, §10)")
struct HTTPReadSideTests {
    static let contact = "550e8400-e29b-41d4-a716-446655440001"
    static let foreignContact = "550e8400-e29b-41d4-a716-446655440002"
    static let missingContact = "550e8400-e29b-41d4-a716-446655440009"
    static let interactionCount = 120

    static let unauthenticated = #"{"detail":"Invalid or missing credentials"}"#
    static let notFound = #"{"detail":"Contact not found"}"#

    static func problem(_ parameter: String, _ msg: String, _ type: String) -> String {
        #"{"detail":[{"loc":["query","\#(parameter)"],"msg":"\#(msg)","type":"\#(type)"}]}"#
    }

    @Test("paging edges, newest first, who may read what", arguments: Backend.available)
    func pagingAndAccess(backend: Backend) async throws {
        try await withHarness(backend) { harness in
            let owner = try await harness.token()
            let otherOwner = try await harness.token(sub: "u-9", name: "Olga Other", business: "biz-2")

            // One contact with 120 interactions (one second apart) and two status changes; one contact
            // of another business.
            var commands = [
                TestCommand(
                    type: "CreateContact", contactID: Self.contact,
                    payload: #"{"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}"#,
                    token: owner)
            ]
            let start = Timestamp(microsecondsSinceEpoch: 1_704_898_260_000_000)  // 2024-01-10T14:51:00Z
            for index in 0..<Self.interactionCount {
                let issued = Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(index) * 1_000_000)
                commands.append(
                    TestCommand(
                        type: "AddInteraction", contactID: Self.contact, issuedAt: issued.rfc3339,
                        payload: #"{"type": "call", "description": "Call \#(index)"}"#, token: owner))
            }
            commands.append(
                TestCommand(
                    type: "UpdateStatus", contactID: Self.contact, issuedAt: "2024-01-11T09:00:00Z",
                    payload: #"{"relationship_status": "qualified_lead", "reason": "Budget confirmed"}"#, token: owner))
            commands.append(
                TestCommand(
                    type: "UpdateStatus", contactID: Self.contact, issuedAt: "2024-01-12T09:00:00Z",
                    payload: #"{"relationship_status": "opportunity", "notes": "Sent proposal"}"#, token: owner))
            commands.append(
                TestCommand(
                    type: "CreateContact", business: "biz-2", contactID: Self.foreignContact,
                    payload: #"{"company_name": "Other Co"}"#, token: otherOwner))

            let worker = try await harness.startHTTPWorker()
            try await harness.send(commands.map(harness.message))
            let results = try await harness.read(harness.topics.results, count: commands.count).map(
                PublishedResult.init)
            #expect(results.allSatisfy { ($0.status ?? 0) < 300 })

            // The interactions exactly as the AddInteraction results returned them, newest first.
            let byCommand = Dictionary(uniqueKeysWithValues: results.map { ($0.commandID ?? "", $0) })
            let interactions: [JSONValue] = commands.filter { $0.json.contains(#""AddInteraction""#) }.reversed().map {
                byCommand[$0.commandID]?.body ?? .null
            }
            #expect(interactions.count == Self.interactionCount)
            #expect(interactions.first?["description"]?.stringValue == "Call 119")

            func expectPage(
                _ query: String, token: String, skip: Int, limit: Int, sourceLocation: SourceLocation = #_sourceLocation
            ) async throws {
                let reply = try await worker.get("/contacts/\(Self.contact)/interactions\(query)", token: token)
                let items = Array(interactions.dropFirst(skip).prefix(limit))
                let expected = JSONValue.object([
                    "interactions": .array(items), "total": .integer(Self.interactionCount), "skip": .integer(skip),
                    "limit": .integer(limit),
                ])
                #expect(reply.status == 200, sourceLocation: sourceLocation)
                #expect(reply.contentType == "application/json", sourceLocation: sourceLocation)
                #expect(reply.text == expected.encodedString, sourceLocation: sourceLocation)
            }

            // Paging: default 50, limit 100 accepted, the last partial page, skip at and past the end.
            try await expectPage("", token: owner, skip: 0, limit: 50)
            try await expectPage("?limit=100", token: owner, skip: 0, limit: 100)
            try await expectPage("?skip=100&limit=100", token: owner, skip: 100, limit: 100)
            try await expectPage("?skip=50", token: owner, skip: 50, limit: 50)
            try await expectPage("?skip=120", token: owner, skip: 120, limit: 50)
            try await expectPage("?skip=1000&limit=10", token: owner, skip: 1000, limit: 10)
            let pastEnd = try await worker.get(
                "/contacts/\(Self.contact)/interactions?skip=1000&limit=10", token: owner)
            #expect(pastEnd.text == #"{"interactions":[],"total":120,"skip":1000,"limit":10}"#)

            // Newest first: timestamps strictly descending over the whole list.
            let all = try await worker.get("/contacts/\(Self.contact)/interactions?limit=100", token: owner).json()
            let stamps = (all["interactions"]?.arrayValue ?? []).compactMap { $0["timestamp"]?.stringValue }
            #expect(stamps.count == 100)
            #expect(stamps == stamps.sorted(by: >))
            #expect(Set(stamps).count == stamps.count)

            // Invalid paging: 422 with pydantic-style bodies, one problem per parameter.
            let path = "/contacts/\(Self.contact)/interactions"
            let invalid: [(String, String)] = [
                ("?limit=101", Self.problem("limit", "Input should be less than or equal to 100", "less_than_equal")),
                // A repeated parameter counts with its last value.
                (
                    "?limit=10&limit=500",
                    Self.problem("limit", "Input should be less than or equal to 100", "less_than_equal")
                ),
                ("?limit=0", Self.problem("limit", "Input should be greater than or equal to 1", "greater_than_equal")),
                ("?skip=-1", Self.problem("skip", "Input should be greater than or equal to 0", "greater_than_equal")),
                (
                    "?limit=ten",
                    Self.problem(
                        "limit", "Input should be a valid integer, unable to parse string as an integer", "int_parsing")
                ),
                (
                    "?skip=-1&limit=101",
                    #"{"detail":[{"loc":["query","skip"],"msg":"Input should be greater than or equal to 0","type":"greater_than_equal"},{"loc":["query","limit"],"msg":"Input should be less than or equal to 100","type":"less_than_equal"}]}"#
                ),
            ]
            for (query, body) in invalid {
                let reply = try await worker.get(path + query, token: owner)
                #expect(reply.status == 422, "\(query)")
                #expect(reply.contentType == "application/json", "\(query)")
                #expect(reply.text == body, "\(query)")
            }
            let badID = try await worker.get("/contacts/not-a-uuid/interactions", token: owner)
            #expect(badID.status == 422)
            #expect(
                badID.text
                    == #"{"detail":[{"loc":["path","contact_id"],"msg":"Input should be a valid UUID, invalid character or length","type":"uuid_parsing"}]}"#
            )
            let historyLimit = try await worker.get("/contacts/\(Self.contact)/status-history?limit=101", token: owner)
            #expect(historyLimit.status == 422)
            #expect(
                historyLimit.text
                    == Self.problem("limit", "Input should be less than or equal to 100", "less_than_equal"))

            // Status history: newest first, creation last with from_status null and "Initial status".
            let history = try await worker.get("/contacts/\(Self.contact)/status-history", token: owner)
            #expect(history.status == 200)
            #expect(history.contentType == "application/json")
            // Exactly the three entries, with the ids derived from the command ids (docs/contract.md §5).
            let creation = commands[0]
            let qualify = commands[Self.interactionCount + 1]
            let opportunity = commands[Self.interactionCount + 2]
            func entry(
                _ command: TestCommand, from: String?, to: String, fromStage: String?, toStage: String, at: String,
                reason: String?,
                notes: String?
            ) throws -> JSONValue {
                let commandID = try #require(UUID(uuidString: command.commandID))
                return .object([
                    "id": .string(DeterministicID.historyEntry(commandID: commandID).lowercasedString),
                    "contact_id": .string(Self.contact), "from_status": .string(orNull: from), "to_status": .string(to),
                    "from_lifecycle_stage": .string(orNull: fromStage), "to_lifecycle_stage": .string(toStage),
                    "timestamp": .string(at),
                    "changed_by": .string("Ada Owner"), "changed_by_id": .string("u-1"),
                    "reason": .string(orNull: reason),
                    "notes": .string(orNull: notes),
                ])
            }
            let entries = [
                try entry(
                    opportunity, from: "qualified_lead", to: "opportunity", fromStage: "interest",
                    toStage: "consideration",
                    at: "2024-01-12T09:00:00Z", reason: nil, notes: "Sent proposal"),
                try entry(
                    qualify, from: "prospect", to: "qualified_lead", fromStage: "awareness", toStage: "interest",
                    at: "2024-01-11T09:00:00Z", reason: "Budget confirmed", notes: nil),
                try entry(
                    creation, from: nil, to: "prospect", fromStage: nil, toStage: "awareness",
                    at: "2024-01-10T14:30:00Z",
                    reason: "Initial status", notes: nil),
            ]
            #expect(
                history.text
                    == JSONValue.object([
                        "entries": .array(entries), "total": .integer(3), "skip": .integer(0), "limit": .integer(50),
                    ])
                    .encodedString)
            let historyPage = try await worker.get(
                "/contacts/\(Self.contact)/status-history?skip=1&limit=1", token: owner)
            #expect(
                historyPage.text
                    == JSONValue.object([
                        "entries": .array([entries[1]]), "total": .integer(3), "skip": .integer(1),
                        "limit": .integer(1),
                    ]).encodedString)
            let historyPastEnd = try await worker.get("/contacts/\(Self.contact)/status-history?skip=3", token: owner)
            #expect(historyPastEnd.text == #"{"entries":[],"total":3,"skip":3,"limit":50}"#)

            // Read-only roles read; every role holds view_contacts.
            let viewer = try await harness.token(sub: "u-2", name: "Vic Viewer", role: "viewer")
            let contractor = try await harness.token(sub: "u-3", name: "Cora Contractor", role: "contractor")
            try await expectPage("", token: viewer, skip: 0, limit: 50)
            try await expectPage("?skip=100", token: contractor, skip: 100, limit: 50)
            let contractorHistory = try await worker.get("/contacts/\(Self.contact)/status-history", token: contractor)
            #expect(contractorHistory.status == 200)
            #expect(contractorHistory.text == history.text)

            // Business isolation: another business's contact is not found, exactly like a missing one.
            for listing in ["interactions", "status-history"] {
                let foreign = try await worker.get("/contacts/\(Self.contact)/\(listing)", token: otherOwner)
                #expect(foreign.status == 404, "\(listing)")
                #expect(foreign.contentType == "application/json")
                #expect(foreign.text == Self.notFound, "\(listing)")
                let crossed = try await worker.get("/contacts/\(Self.foreignContact)/\(listing)", token: owner)
                #expect(crossed.status == 404, "\(listing)")
                #expect(crossed.text == Self.notFound, "\(listing)")
                let missing = try await worker.get("/contacts/\(Self.missingContact)/\(listing)", token: owner)
                #expect(missing.status == 404, "\(listing)")
                #expect(missing.text == Self.notFound, "\(listing)")
            }
            let own = try await worker.get("/contacts/\(Self.foreignContact)/status-history", token: otherOwner)
            #expect(own.status == 200)
            #expect(try own.json()["total"] == .integer(1))

            // Credentials: missing, expired, badly signed, not Bearer, garbage → the same 401.
            let expired = try await harness.token(expiresIn: -60)
            let forged = try await TokenSigner(hs256Secret: "another-secret-of-at-least-32-bytes!!").sign(
                TokenClaims(sub: "u-1", exp: Date().timeIntervalSince1970 + 3600, businessID: "biz-1", role: "owner"))
            let refusals: [(String, String?)] = [
                ("missing", nil), ("expired", "Bearer \(expired)"), ("badly signed", "Bearer \(forged)"),
                ("not Bearer", "Basic dXNlcjpwYXNz"), ("malformed", "Bearer not.a.jwt"), ("empty", "Bearer "),
            ]
            for listing in ["interactions", "status-history"] {
                for (what, header) in refusals {
                    let reply = try await worker.get("/contacts/\(Self.contact)/\(listing)", authorization: header)
                    #expect(reply.status == 401, "\(what) token on \(listing)")
                    #expect(reply.contentType == "application/json", "\(what) token on \(listing)")
                    #expect(reply.text == Self.unauthenticated, "\(what) token on \(listing)")
                    // RFC 6750 §3: a 401 names the scheme the client must use.
                    #expect(reply.wwwAuthenticate == "Bearer", "\(what) token on \(listing)")
                }
            }
            // Credentials are checked before the parameters: no token and bad paging is still 401.
            let both = try await worker.get("/contacts/not-a-uuid/interactions?limit=0")
            #expect(both.status == 401)
            #expect(both.text == Self.unauthenticated)

            try await worker.stop()
        }
    }

    /// Every role's defaults include `view_contacts` and a token's `permissions` claim only adds
    /// to them, so no verifiable token lacks it: the 403 is proven on the check itself.
    @Test("a principal without view_contacts gets 403 with the exact body; every role may read")
    func permissionCheck() {
        let bare = Principal(userID: "u-1", businessID: "biz-1", role: .viewer, permissions: [.editContacts])
        let denial = ReadAccess.authorize(bare)
        #expect(denial == .failure(.missingPermission))
        #expect(ReadAccess.Denial.missingPermission.status == 403)
        #expect(
            ReadAccess.Denial.missingPermission.body.encodedString
                == #"{"detail":"Insufficient permissions: view_contacts required"}"#)
        #expect(ReadAccess.Denial.unauthenticated(.expired).status == 401)
        #expect(ReadAccess.Denial.unauthenticated(.missingHeader).body.encodedString == Self.unauthenticated)
        for role in Role.allCases {
            let principal = Principal(userID: "u-1", businessID: "biz-1", role: role)
            #expect(ReadAccess.authorize(principal) == .success(principal), "\(role)")
        }
    }
}
