import Foundation

/// A parsed `DATABASE_URL`: which backend to use and how to reach it.
///
/// Accepted forms:
/// - `sqlite:<path>` (relative or absolute; `sqlite:///abs/path` also works) and `sqlite::memory:`
///   (tests only: nothing survives the process). Option: `?synchronous=normal|full`
///   (default `normal`, see ``SQLite-swift.struct/synchronousFull``), `?busy_timeout_ms=<n>`,
///   `?cache_size_mib=<n>` (page cache per connection, default 8), `?mmap_size_mib=<n>` (memory-mapped
///   reads, default 0: off).
/// - `postgres://user:pass@host:port/db` or `postgresql://…`. Options:
///   `?sslmode=disable|prefer|require|verify-full` (default `prefer`; as in libpq, `prefer` and
///   `require` encrypt without checking the certificate, `verify-full` checks it and the host name), `?schema=<name>` (use and create that schema instead of `public`),
///   `?connect_timeout=<seconds>` (how long a call waits for a pooled connection before failing
///   with a retriable error, default 10), `?max_connections=<n>` (pool size, default 10).
///
/// Parsing errors name the key and the value, so a bad configuration fails at start with one line.
public enum DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// An embedded SQLite database file.
    case sqlite(SQLite)
    /// A PostgreSQL server.
    case postgres(Postgres)

    /// Where and how to open an SQLite database.
    public struct SQLite: Sendable, Hashable {
        /// The file path, or `nil` for a private in-memory database.
        public var path: String?
        /// `true` for `synchronous=FULL`: the last committed transaction also survives a power
        /// loss, at the cost of an fsync per commit. The default (`NORMAL` in WAL mode) survives
        /// process crashes (`kill -9`), which is what the worker's exactly-once guarantee needs.
        public var synchronousFull: Bool
        /// How long a writer waits for another process's lock before failing with a retriable error.
        public var busyTimeoutMilliseconds: Int
        /// The page cache of each connection, in MiB: the writer's and each reader's (the pool
        /// opens readers on demand). Part of the worker's resident memory once filled.
        public var cacheSizeMiB: Int
        /// How much of the database file each connection reads through a memory mapping instead
        /// of `read(2)`, in MiB; 0 turns memory-mapped reads off. Mapped pages count toward the
        /// worker's resident memory.
        public var mmapSizeMiB: Int

        /// Creates SQLite settings directly (the URL parser is the usual way).
        public init(
            path: String?, synchronousFull: Bool = false, busyTimeoutMilliseconds: Int = 5_000,
            cacheSizeMiB: Int = 8, mmapSizeMiB: Int = 0
        ) {
            self.path = path
            self.synchronousFull = synchronousFull
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.cacheSizeMiB = cacheSizeMiB
            self.mmapSizeMiB = mmapSizeMiB
        }
    }

    /// How a PostgreSQL connection negotiates TLS.
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise; the certificate is not checked (as libpq).
        case prefer
        /// TLS or fail; the certificate is not checked (as libpq: encryption only).
        case require
        /// TLS with the certificate checked against the system's trust roots and the host name.
        case verifyFull = "verify-full"
    }

    /// Where and how to reach a PostgreSQL server.
    public struct Postgres: Sendable, Hashable {
        /// Host name or IP address.
        public var host: String
        /// TCP port (default 5432).
        public var port: Int
        /// User name.
        public var username: String
        /// Password, if any.
        public var password: String?
        /// Database name.
        public var database: String
        /// The schema to create and use instead of `public`, if any (isolates tests or tenants).
        public var schema: String?
        /// TLS negotiation.
        public var tls: TLSMode
        /// How long a call waits for a pooled connection before it fails with a retriable error.
        public var connectTimeout: Duration
        /// The connection pool's size.
        public var maxConnections: Int

        /// Creates PostgreSQL settings directly (the URL parser is the usual way).
        public init(
            host: String,
            port: Int = 5432,
            username: String,
            password: String?,
            database: String,
            schema: String? = nil,
            tls: TLSMode = .prefer,
            connectTimeout: Duration = .seconds(10),
            maxConnections: Int = 10
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.schema = schema
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.maxConnections = maxConnections
        }
    }

    /// Parses a database URL.
    ///
    /// - Parameters:
    ///   - string: the URL, e.g. `sqlite:.contact-worker/contacts.sqlite` or
    ///     `postgres://worker:secret@db:5432/contacts`.
    ///   - key: the configuration key the value came from, quoted in error messages.
    /// - Throws: ``StoreError/invalidURL(key:value:reason:)`` naming the key and the (password-masked) value.
    public init(parsing string: String, key: String = "DATABASE_URL") throws(StoreError) {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        let masked = Self.maskPassword(in: trimmed)
        func fail(_ reason: String) -> StoreError {
            .invalidURL(key: key, value: masked, reason: reason)
        }
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw fail("\"\(masked)\" is not a database URL (use sqlite:<path> or postgres://user:pass@host:port/db)")
        }
        let scheme = trimmed[..<colon].lowercased()
        switch scheme {
        case "sqlite", "sqlite3":
            self = .sqlite(try Self.parseSQLite(String(trimmed[trimmed.index(after: colon)...]), fail: fail))
        case "postgres", "postgresql":
            self = .postgres(try Self.parsePostgres(trimmed, masked: masked, fail: fail))
        default:
            throw fail("unsupported scheme \"\(scheme)\" (use sqlite:<path> or postgres://user:pass@host:port/db)")
        }
    }

    /// The URL with the password replaced by `***`: safe for logs and error messages.
    public var description: String {
        switch self {
        case .sqlite(let sqlite):
            return "sqlite:" + (sqlite.path ?? ":memory:")
        case .postgres(let pg):
            var text = "postgres://\(pg.username)"
            if pg.password != nil { text += ":***" }
            text += "@\(pg.host.contains(":") ? "[\(pg.host)]" : pg.host):\(pg.port)/\(pg.database)"
            if let schema = pg.schema { text += "?schema=\(schema)" }
            return text
        }
    }

    // MARK: - SQLite

    private static func parseSQLite(_ rest: String, fail: (String) -> StoreError) throws(StoreError) -> SQLite {
        var pathPart = rest
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            pathPart = String(rest[..<mark])
            query = String(rest[rest.index(after: mark)...])
        }
        if pathPart.hasPrefix("//") { pathPart.removeFirst(2) }
        guard !pathPart.isEmpty else {
            throw fail("sqlite URL has no path (use sqlite:<path>, e.g. sqlite:.contact-worker/contacts.sqlite)")
        }
        var settings = SQLite(path: pathPart == ":memory:" ? nil : pathPart)
        for (name, value) in try parseQuery(query, fail: fail) {
            switch name {
            case "synchronous":
                switch value.lowercased() {
                case "normal": settings.synchronousFull = false
                case "full": settings.synchronousFull = true
                default: throw fail("synchronous must be normal or full, not \"\(value)\"")
                }
            case "busy_timeout_ms":
                guard let milliseconds = Int(value), milliseconds >= 0 else {
                    throw fail("busy_timeout_ms must be a non-negative integer, not \"\(value)\"")
                }
                settings.busyTimeoutMilliseconds = milliseconds
            case "cache_size_mib":
                guard let mebibytes = Int(value), (1...65_536).contains(mebibytes) else {
                    throw fail("cache_size_mib must be an integer from 1 to 65536, not \"\(value)\"")
                }
                settings.cacheSizeMiB = mebibytes
            case "mmap_size_mib":
                guard let mebibytes = Int(value), (0...1_048_576).contains(mebibytes) else {
                    throw fail("mmap_size_mib must be an integer from 0 (off) to 1048576, not \"\(value)\"")
                }
                settings.mmapSizeMiB = mebibytes
            default:
                throw fail(
                    "unknown sqlite option \"\(name)\" (known: synchronous, busy_timeout_ms, cache_size_mib, mmap_size_mib)"
                )
            }
        }
        return settings
    }

    // MARK: - PostgreSQL

    private static func parsePostgres(
        _ text: String, masked: String, fail: (String) -> StoreError
    ) throws(StoreError) -> Postgres {
        guard let components = URLComponents(string: text) else {
            throw fail("\"\(masked)\" is not a valid URL (use postgres://user:pass@host:port/db)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw fail("\"\(masked)\" has no host (use postgres://user:pass@host:port/db)")
        }
        guard let username = components.user, !username.isEmpty else {
            throw fail("\"\(masked)\" has no user name (use postgres://user:pass@host:port/db)")
        }
        // Decoded once: `path` is already decoded, and decoding it again turned `a%2541` into `aA`.
        var database = components.percentEncodedPath
        if database.hasPrefix("/") { database.removeFirst() }
        database = database.removingPercentEncoding ?? database
        guard !database.isEmpty, !database.contains("/") else {
            throw fail("\"\(masked)\" has no database name (use postgres://user:pass@host:port/db)")
        }
        var settings = Postgres(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? 5432,
            username: username,
            password: components.password,
            database: database
        )
        for (name, value) in try parseQuery(components.percentEncodedQuery ?? "", fail: fail) {
            switch name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value.lowercased()) else {
                    throw fail("sslmode must be disable, prefer, require or verify-full, not \"\(value)\"")
                }
                settings.tls = mode
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw fail("schema must be a plain identifier (lower-case letters, digits, _), not \"\(value)\"")
                }
                settings.schema = value
            case "connect_timeout":
                guard let seconds = Double(value), seconds >= 0.1, seconds <= 3_600 else {
                    throw fail("connect_timeout must be a number of seconds from 0.1 to 3600, not \"\(value)\"")
                }
                settings.connectTimeout = .milliseconds(Int64(seconds * 1000))
            case "max_connections":
                guard let count = Int(value), count >= 1 else {
                    throw fail("max_connections must be a positive integer, not \"\(value)\"")
                }
                settings.maxConnections = count
            default:
                throw fail(
                    "unknown postgres option \"\(name)\" (known: sslmode, schema, connect_timeout, max_connections)")
            }
        }
        return settings
    }

    // MARK: - Helpers

    private static func parseQuery(
        _ query: String, fail: (String) -> StoreError
    ) throws(StoreError) -> [(String, String)] {
        guard !query.isEmpty else { return [] }
        var result: [(String, String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw fail("option \"\(pair)\" has no value (use name=value)")
            }
            let name = String(pair[..<equals]).removingPercentEncoding ?? String(pair[..<equals])
            let rawValue = String(pair[pair.index(after: equals)...])
            result.append((name.lowercased(), rawValue.removingPercentEncoding ?? rawValue))
        }
        return result
    }

    static func isPlainIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !text.isEmpty, text.utf8.count <= 63 else { return false }
        // Lower case only: PostgreSQL folds unquoted names to lower case, so `Public` and `public`
        // would be one schema under two advisory-lock keys.
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz_")
        let rest = letters.union(CharacterSet(charactersIn: "0123456789"))
        return letters.contains(first) && text.unicodeScalars.allSatisfy { rest.contains($0) }
    }

    /// `postgres://user:secret@host` → `postgres://user:***@host`; anything else unchanged.
    static func maskPassword(in text: String) -> String {
        guard let schemeEnd = text.range(of: "://"),
            let at = text[schemeEnd.upperBound...].lastIndex(of: "@")
        else { return text }
        let userInfo = text[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
