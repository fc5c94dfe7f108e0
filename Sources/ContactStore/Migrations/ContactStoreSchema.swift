/// Facts about the schema this build's migrations produce, for tools that check a database
/// before using it rather than migrating it themselves.
public enum ContactStoreSchema {
    /// The newest migration version this build knows; a database migrated by this build has
    /// every version up to it in `schema_migrations`.
    public static var latestVersion: Int { SchemaMigrations.latestVersion }
}
