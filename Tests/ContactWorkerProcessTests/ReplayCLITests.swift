import ContactStore
import ContactWorkerHarness
import Foundation
import Testing

@Suite("contact-worker replay, run as an operator runs it (docs/contract.md §10)")
struct ReplayCLITests {
    @Test("replay never migrates: on a database behind this build it stops and says to migrate first")
    func replayDoesNotMigrate() async throws {
        try await withHarness(.sqlite, commandPartitions: 1) { harness in
            let directory = try #require(harness.directory)
            let database = directory.appendingPathComponent("never-migrated.sqlite")
            let log = directory.appendingPathComponent("replay-cli.log")
            // DATABASE_MIGRATE=true (the default, said explicitly) must not make replay migrate.
            let environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory.path,
                "DATABASE_MIGRATE": "true", "JWT_HS256_SECRET": WorkerHarness.secret,
            ]
            let child = try ChildProcess.spawn(
                try WorkerProcesses.executable(),
                arguments: [
                    "replay", "--from-offset", "0", "--dry-run", "--brokers", harness.cluster.bootstrapServers,
                    "--database-url", "sqlite:\(database.path)",
                ],
                environment: environment, name: "replay", log: log)
            #expect(try await child.waitForExit(seconds: 60) == .exited(1))
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(
                output.contains(
                    "the database's schema is at version 0, this build's at \(ContactStoreSchema.latestVersion): run `contact-worker migrate` first"
                ),
                "\(output)")
            let store = try await makeContactStore(url: "sqlite:\(database.path)")
            #expect(try await store.appliedMigrations() == [])
            await store.close()
        }
    }
}
