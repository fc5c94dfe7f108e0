import ContactStore
import Testing

@Suite("DATABASE_URL parsing")
struct DatabaseURLTests {
    @Test("sqlite:<path> forms")
    func sqliteForms() throws {
        #expect(
            try DatabaseURL(parsing: "sqlite:.contact-worker/contacts.sqlite")
                == .sqlite(.init(path: ".contact-worker/contacts.sqlite")))
        #expect(
            try DatabaseURL(parsing: "sqlite:///var/lib/cw/db.sqlite") == .sqlite(.init(path: "/var/lib/cw/db.sqlite")))
        #expect(try DatabaseURL(parsing: "sqlite::memory:") == .sqlite(.init(path: nil)))
        #expect(
            try DatabaseURL(parsing: "sqlite:/data/c.sqlite?synchronous=full&busy_timeout_ms=250")
                == .sqlite(.init(path: "/data/c.sqlite", synchronousFull: true, busyTimeoutMilliseconds: 250)))
    }

    @Test("sqlite page cache and memory-mapped reads: 8 MiB and off unless the URL sets them")
    func sqliteMemoryOptions() throws {
        #expect(try DatabaseURL(parsing: "sqlite:/d/c.sqlite") == .sqlite(.init(path: "/d/c.sqlite", cacheSizeMiB: 8)))
        #expect(
            try DatabaseURL(parsing: "sqlite:/d/c.sqlite?cache_size_mib=64&mmap_size_mib=256")
                == .sqlite(.init(path: "/d/c.sqlite", cacheSizeMiB: 64, mmapSizeMiB: 256)))
        let error = #expect(throws: StoreError.self) {
            try DatabaseURL(parsing: "sqlite:/d/c.sqlite?cache_size_mib=0")
        }
        #expect(
            error?.description
                == #"DATABASE_URL: cache_size_mib must be an integer from 1 to 65536, not "0""#)
    }

    @Test("postgres:// and postgresql:// forms, with options")
    func postgresForms() throws {
        let url = try DatabaseURL(parsing: "postgres://worker:s%40cret@db.internal:6543/contacts")
        #expect(
            url
                == .postgres(
                    .init(host: "db.internal", port: 6543, username: "worker", password: "s@cret", database: "contacts")
                ))
        #expect(url.description == "postgres://worker:***@db.internal:6543/contacts")
        let withOptions = try DatabaseURL(
            parsing: "postgresql://u@localhost/db?sslmode=disable&schema=tenant_1&connect_timeout=2.5&max_connections=3"
        )
        #expect(
            withOptions
                == .postgres(
                    .init(
                        host: "localhost", port: 5432, username: "u", password: nil, database: "db", schema: "tenant_1",
                        tls: .disable, connectTimeout: .milliseconds(2500), maxConnections: 3)))
        let encodedName = try DatabaseURL(parsing: "postgres://u@h/a%2541")
        #expect(encodedName == .postgres(.init(host: "h", port: 5432, username: "u", password: nil, database: "a%41")))
        let verified = try DatabaseURL(parsing: "postgres://u@h/db?sslmode=verify-full&connect_timeout=3600")
        #expect(
            verified
                == .postgres(
                    .init(
                        host: "h", port: 5432, username: "u", password: nil, database: "db", tls: .verifyFull,
                        connectTimeout: .seconds(3600))))
    }

    @Test("an unsupported scheme names the key and says what would work")
    func unsupportedScheme() {
        let error = #expect(throws: StoreError.self) { try DatabaseURL(parsing: "mysql://u:p@h/db") }
        #expect(
            error?.description
                == #"DATABASE_URL: unsupported scheme "mysql" (use sqlite:<path> or postgres://user:pass@host:port/db)"#
        )
        #expect(error?.isRetriable == false)
    }

    @Test(
        "malformed URLs fail with the key and never leak the password",
        arguments: [
            "postgres://user:hunter2@/db",
            "postgres://user:hunter2@host",
            "postgres://user:hunter2@host/db?sslmode=sometimes",
            "postgres://user:hunter2@host/db?schema=a;drop",
            "postgres://user:hunter2@host/db?schema=Tenant",
            "postgres://user:hunter2@host/db?bogus=1",
            "postgres://user:hunter2@host/db?connect_timeout=inf",
            "postgres://user:hunter2@host/db?connect_timeout=1e16",
            "postgres://user:hunter2@host/db?connect_timeout=0.0001",
            "postgres://user:hunter2@host/db?connect_timeout=nan",
            "sqlite:",
            "sqlite:/x?synchronous=maybe",
            "sqlite:/x?cache_size_mib=8.5",
            "sqlite:/x?mmap_size_mib=-1",
            "sqlite:/x?cache_mib=8",
            "contacts.sqlite",
        ])
    func malformed(text: String) {
        let error = #expect(throws: StoreError.self) { try DatabaseURL(parsing: text, key: "DATABASE_URL") }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("DATABASE_URL: "))
        #expect(!message.contains("hunter2"))
    }
}
