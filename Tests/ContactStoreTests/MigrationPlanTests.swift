@testable import ContactStore
import Testing

@Suite("Migration plan: the steps both backends run")
struct MigrationPlanTests {
    @Test("a new database runs every migration's statements in the backend's dialect, each followed by its record")
    func newDatabase() throws {
        for dialect in [SQLDialect.sqlite, .postgres] {
            let plan = try MigrationPlan(applied: [], dialect: dialect, database: "test")
            var expected: [MigrationPlan.Step] = []
            for migration in SchemaMigrations.all {
                expected += (dialect == .sqlite ? migration.sqlite : migration.postgres).map(MigrationPlan.Step.execute)
                if let dataStep = migration.dataStep { expected.append(.dataStep(dataStep)) }
                expected.append(.record(version: migration.version, name: migration.name))
            }
            #expect(plan.steps == expected)
            #expect(plan.versions == SchemaMigrations.all.map(\.version))
        }
    }

    @Test("an upgrade from version 3 packs the legacy outbox after migration 4's statements and before its record")
    func upgradeRunsTheDataStepInPlace() throws {
        let applied = SchemaMigrations.all.prefix(3).map { (version: $0.version, name: $0.name) }
        let plan = try MigrationPlan(applied: applied, dialect: .postgres, database: "test", through: 4)
        let four = SchemaMigrations.all[3]
        #expect(plan.versions == [4])
        #expect(
            plan.steps
                == four.postgres.map(MigrationPlan.Step.execute) + [
                    .dataStep(.packLegacyOutbox), .record(version: 4, name: four.name),
                ])
    }

    @Test("an up-to-date database has nothing to do; a database from a newer build is refused")
    func upToDateAndNewer() throws {
        let all = SchemaMigrations.all.map { (version: $0.version, name: $0.name) }
        let current = try MigrationPlan(applied: all, dialect: .sqlite, database: "test")
        #expect(current.steps.isEmpty && current.versions.isEmpty)
        let newer = all + [(version: SchemaMigrations.latestVersion + 1, name: "from the future")]
        #expect(throws: StoreError.self) {
            try MigrationPlan(applied: newer, dialect: .sqlite, database: "test")
        }
    }
}
