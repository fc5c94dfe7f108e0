import ContactDomain

/// Migration 1, the initial schema, in both dialects.
extension SchemaMigrations {
    // MARK: - 1: initial schema

    static let initialSchema = Migration(
        version: 1,
        name: "initial schema",
        sqlite: [
            """
            CREATE TABLE contacts (
                id TEXT PRIMARY KEY NOT NULL,
                business_id TEXT NOT NULL,
                first_name TEXT,
                last_name TEXT,
                company_name TEXT,
                display_name TEXT NOT NULL,
                email TEXT,
                phone TEXT,
                relationship_status TEXT NOT NULL CHECK (relationship_status IN (\(statuses))),
                lifecycle_stage TEXT NOT NULL CHECK (lifecycle_stage IN (\(stages))),
                last_contacted INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID
            """,
            "CREATE INDEX contacts_business_id ON contacts (business_id)",
            "CREATE INDEX contacts_relationship_status ON contacts (relationship_status)",
            """
            CREATE TABLE interactions (
                id TEXT PRIMARY KEY NOT NULL,
                contact_id TEXT NOT NULL REFERENCES contacts (id),
                type TEXT NOT NULL CHECK (type IN (\(interactionTypes))),
                description TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                outcome TEXT,
                next_action TEXT,
                scheduled_follow_up INTEGER,
                performed_by TEXT NOT NULL,
                performed_by_id TEXT NOT NULL
            )
            """,
            "CREATE INDEX interactions_contact_timeline ON interactions (contact_id, timestamp DESC, id)",
            """
            CREATE TABLE status_history (
                id TEXT PRIMARY KEY NOT NULL,
                contact_id TEXT NOT NULL REFERENCES contacts (id),
                from_status TEXT CHECK (from_status IS NULL OR from_status IN (\(statuses))),
                to_status TEXT NOT NULL CHECK (to_status IN (\(statuses))),
                from_lifecycle_stage TEXT CHECK (from_lifecycle_stage IS NULL OR from_lifecycle_stage IN (\(stages))),
                to_lifecycle_stage TEXT NOT NULL CHECK (to_lifecycle_stage IN (\(stages))),
                timestamp INTEGER NOT NULL,
                changed_by TEXT NOT NULL,
                changed_by_id TEXT NOT NULL,
                reason TEXT,
                notes TEXT
            )
            """,
            "CREATE INDEX status_history_contact_timeline ON status_history (contact_id, timestamp DESC, id)",
            """
            CREATE TABLE processed_commands (
                command_id TEXT PRIMARY KEY NOT NULL,
                fingerprint TEXT NOT NULL,
                business_id TEXT,
                contact_id TEXT,
                command_type TEXT,
                result_status INTEGER NOT NULL,
                result_body BLOB NOT NULL,
                processed_at INTEGER NOT NULL
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE events (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                contact_id TEXT NOT NULL,
                business_id TEXT NOT NULL,
                command_id TEXT NOT NULL,
                type TEXT NOT NULL,
                time INTEGER NOT NULL,
                body BLOB NOT NULL
            )
            """,
            "CREATE INDEX events_contact ON events (contact_id, sequence)",
            "CREATE INDEX events_time ON events (time, sequence)",
            """
            CREATE TABLE outbox (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                topic TEXT NOT NULL,
                key BLOB,
                value BLOB NOT NULL,
                headers BLOB NOT NULL,
                contact_id TEXT
            )
            """,
            """
            CREATE TABLE consumer_offsets (
                group_id TEXT NOT NULL,
                topic TEXT NOT NULL,
                partition INTEGER NOT NULL,
                next_offset INTEGER NOT NULL,
                PRIMARY KEY (group_id, topic, partition)
            ) WITHOUT ROWID
            """,
        ],
        postgres: [
            """
            CREATE TABLE contacts (
                id uuid PRIMARY KEY,
                business_id text NOT NULL,
                first_name text,
                last_name text,
                company_name text,
                display_name text NOT NULL,
                email text,
                phone text,
                relationship_status text NOT NULL CHECK (relationship_status IN (\(statuses))),
                lifecycle_stage text NOT NULL CHECK (lifecycle_stage IN (\(stages))),
                last_contacted timestamptz,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX contacts_business_id ON contacts (business_id)",
            "CREATE INDEX contacts_relationship_status ON contacts (relationship_status)",
            """
            CREATE TABLE interactions (
                id uuid PRIMARY KEY,
                contact_id uuid NOT NULL REFERENCES contacts (id),
                type text NOT NULL CHECK (type IN (\(interactionTypes))),
                description text NOT NULL,
                "timestamp" timestamptz NOT NULL,
                outcome text,
                next_action text,
                scheduled_follow_up timestamptz,
                performed_by text NOT NULL,
                performed_by_id text NOT NULL
            )
            """,
            #"CREATE INDEX interactions_contact_timeline ON interactions (contact_id, "timestamp" DESC, id)"#,
            """
            CREATE TABLE status_history (
                id uuid PRIMARY KEY,
                contact_id uuid NOT NULL REFERENCES contacts (id),
                from_status text CHECK (from_status IS NULL OR from_status IN (\(statuses))),
                to_status text NOT NULL CHECK (to_status IN (\(statuses))),
                from_lifecycle_stage text CHECK (from_lifecycle_stage IS NULL OR from_lifecycle_stage IN (\(stages))),
                to_lifecycle_stage text NOT NULL CHECK (to_lifecycle_stage IN (\(stages))),
                "timestamp" timestamptz NOT NULL,
                changed_by text NOT NULL,
                changed_by_id text NOT NULL,
                reason text,
                notes text
            )
            """,
            #"CREATE INDEX status_history_contact_timeline ON status_history (contact_id, "timestamp" DESC, id)"#,
            """
            CREATE TABLE processed_commands (
                command_id text PRIMARY KEY,
                fingerprint text NOT NULL,
                business_id text,
                contact_id text,
                command_type text,
                result_status integer NOT NULL,
                result_body bytea NOT NULL,
                processed_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE events (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id uuid NOT NULL UNIQUE,
                contact_id uuid NOT NULL,
                business_id text NOT NULL,
                command_id text NOT NULL,
                type text NOT NULL,
                time timestamptz NOT NULL,
                body bytea NOT NULL
            )
            """,
            "CREATE INDEX events_contact ON events (contact_id, sequence)",
            "CREATE INDEX events_time ON events (time, sequence)",
            """
            CREATE TABLE outbox (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                topic text NOT NULL,
                key bytea,
                value bytea NOT NULL,
                headers bytea NOT NULL,
                contact_id text
            )
            """,
            """
            CREATE TABLE consumer_offsets (
                group_id text NOT NULL,
                topic text NOT NULL,
                partition integer NOT NULL,
                next_offset bigint NOT NULL,
                PRIMARY KEY (group_id, topic, partition)
            )
            """,
        ]
    )
}
