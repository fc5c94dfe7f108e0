/// Facts about the schema this build's migrations produce, for tools that check a database
/// before using it rather than migrating it themselves.
public enum ContactStoreSchema {
    /// The newest migration version this build knows; a database migrated by this build has
    /// every version up to it in `schema_migrations`.
    public static var latestVersion: Int { SchemaMigrations.latestVersion }

    /// The schema version of `store` when it is not this build's, `nil` when it is: for what
    /// must not run on a schema it does not know and must not migrate it either (`replay`, a
    /// worker with `DATABASE_MIGRATE=false`).
    public static func mismatchedVersion(of store: any ContactStore) async throws -> Int? {
        let current = try await store.appliedMigrations().max() ?? 0
        return current == latestVersion ? nil : current
    }
}
