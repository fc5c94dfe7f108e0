/// Why the worker stopped on its own.
public enum WorkerError: Error, CustomStringConvertible {
    case fatalKafkaError(String)
    /// The database's schema is not this build's and the worker was told not to migrate it.
    case schemaMismatch(database: Int, build: Int)

    public var description: String {
        switch self {
        case .fatalKafkaError(let text): "fatal Kafka error, the worker cannot continue: \(text)"
        case .schemaMismatch(let database, let build) where database < build:
            "the database's schema is at version \(database), this build's at \(build), and DATABASE_MIGRATE is false: "
                + "run `contact-worker migrate` first (or start with DATABASE_MIGRATE=true)"
        case .schemaMismatch(let database, let build):
            "the database's schema is at version \(database), newer than this build's \(build): a newer build migrated it; "
                + "run a build at least that new"
        }
    }
}
