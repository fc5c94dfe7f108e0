import ContactStore
import ContactWorker
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Testing

@Suite("A worker told not to migrate (DATABASE_MIGRATE=false) checks the schema before it consumes")
struct StartupSchemaTests {
    @Test("a database this build has not migrated stops the worker at start with a line saying what to run")
    func unmigratedDatabaseStopsTheWorker() async throws {
        try await withHarness(.sqlite) { harness in
            let directory = try #require(harness.directory)
            let fresh = try await makeContactStore(
                url: "sqlite:\(directory.appendingPathComponent("unmigrated.sqlite").path)")
            try await closing(fresh, by: { await $0.close() }) { fresh in
                let worker = try harness.startWorker(store: fresh)
                let outcome = try await within(60, "the worker to stop") { await worker.task.result }
                guard case .failure(let error) = outcome else {
                    Issue.record("the worker ran on a database without a schema")
                    return
                }
                guard case WorkerError.schemaMismatch(let database, let build) = error else {
                    Issue.record("the worker stopped with \(error), not with a schema mismatch")
                    return
                }
                #expect(database == 0)
                #expect(build == ContactStoreSchema.latestVersion)
                #expect("\(error)".contains("run `contact-worker migrate` first"), "\(error)")
                // Nothing was created behind the operator's back.
                #expect(try await fresh.appliedMigrations() == [])
            }
        }
    }

    @Test("a database a newer build migrated is named as such")
    func newerSchemaIsNamed() {
        #expect(
            WorkerError.schemaMismatch(database: 9, build: 5).description
                == "the database's schema is at version 9, newer than this build's 5: a newer build migrated it; run a build at least that new"
        )
    }
}
