import ContactDomain
import ContactStore
import ContactWorker
import ContactWorkerHarness
import Foundation
import Kafka
import Testing

/// `contact-worker republish`, `interactions` and `history`, run as an operator would: the real
/// executable, configured through the environment.
@Suite("Operator tools: republish, interactions, history (docs/contract.md §10)")
struct OperatorQueryToolTests {
    @Test("republish re-emits a contact's stored events byte for byte; interactions and history list them newest first")
    func republishAndQueries() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let processes = try WorkerProcesses(harness: harness, group: "operator-tools")
            defer { processes.removeLogs() }
            let token = try await harness.token()
            let contactID = "00000000-0000-4000-8000-0000000000c1"
            let worker = try harness.startWorker()
            try await harness.send([
                harness.message(
                    TestCommand(
                        type: "CreateContact", contactID: contactID, issuedAt: "2024-01-10T09:00:00Z",
                        payload: #"{"company_name": "Cooper Plumbing"}"#, token: token)),
                harness.message(
                    TestCommand(
                        type: "AddInteraction", contactID: contactID, issuedAt: "2024-01-10T14:30:00Z",
                        payload: #"{"type": "call", "description": "Intro call", "outcome": "Interested"}"#,
                        token: token)),
                harness.message(
                    TestCommand(
                        type: "UpdateStatus", contactID: contactID, issuedAt: "2024-01-10T15:00:00Z",
                        payload: #"{"relationship_status": "qualified_lead", "reason": "Budget confirmed"}"#,
                        token: token)),
            ])
            let original = try await harness.read(harness.topics.events, count: 3)
            try await worker.stop()

            let republish = try await processes.runCLI(["republish", "--contact", contactID])
            #expect(republish.status == .exited(0), "\(republish.output)")
            #expect(republish.output.contains("3 events republished"), "\(republish.output)")
            let all = try await harness.read(harness.topics.events, count: 6)
            #expect(all.count == 6)
            #expect(all.suffix(3).map(\.value) == original.map(\.value))
            #expect(all.suffix(3).map(\.key) == original.map(\.key))

            let dryRun = try await processes.runCLI(["republish", "--since", "2024-01-10T14:00:00Z", "--dry-run"])
            #expect(dryRun.status == .exited(0))
            #expect(dryRun.output.contains("would republish 2 events"), "\(dryRun.output)")

            let interactions = try await processes.runCLI(["interactions", contactID, "--business", "biz-1"])
            #expect(interactions.status == .exited(0), "\(interactions.output)")
            #expect(
                interactions.output.contains(
                    "1 of 1 interactions of contact \(contactID) (skip 0, limit 50), newest first")
            )
            #expect(
                interactions.output.contains("2024-01-10T14:30:00Z  call      Intro call  → Interested"),
                "\(interactions.output)")

            let history = try await processes.runCLI(["history", contactID, "--business", "biz-1", "--json"])
            #expect(history.status == .exited(0), "\(history.output)")
            let body = try JSONValue.parse(Array(history.output.utf8))
            #expect(body["total"]?.intValue == 2)
            #expect(
                body["entries"]?.arrayValue?.map { $0["to_status"]?.stringValue } == ["qualified_lead", "prospect"])

            let otherBusiness = try await processes.runCLI(["history", contactID, "--business", "biz-2"])
            #expect(otherBusiness.status == .exited(1))
            #expect(
                otherBusiness.output.contains("contact \(contactID) not found in business biz-2"),
                "\(otherBusiness.output)"
            )

            // A mistyped SQLite path is an error naming it, and no empty database is left behind.
            let missing = processes.directory.appendingPathComponent("no-such.sqlite").path
            for arguments in [["history", contactID, "--business", "biz-1"], ["republish", "--contact", contactID]] {
                let run = try await processes.runCLI(arguments + ["--database-url", "sqlite:\(missing)"])
                #expect(run.status == .exited(1), "\(arguments[0])")
                #expect(run.output.contains("no database at \(missing) (DATABASE_URL)"), "\(run.output)")
            }
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
    }
}
