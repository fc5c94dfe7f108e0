import ContactDomain
import ContactStore
import ContactWorkerHarness
import ContactWorkerTestSupport
import Foundation
import Kafka
import Testing

@testable import ContactWorker

@Suite("Configuration: file < environment < flags (docs/contract.md §11)")
struct WorkerSettingsTests {
    static let secret = "test-secret-0123456789-abcdefghijklmnop"

    private func withFile(_ yaml: String, _ body: (String) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString).yaml")
            .path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path)
    }

    @Test("the environment overrides the file and flags override the environment")
    func precedence() async throws {
        try await withFile(
            "kafka:\n  brokers: file:9092\nhttp:\n  port: 9000\njwt:\n  hs256:\n    secret: \(Self.secret)\n"
        ) { path in
            let fileOnly = try await WorkerSettings.load(file: path, environment: [:])
            #expect(fileOnly.kafkaBrokers == "file:9092")
            #expect(fileOnly.httpPort == 9000)
            #expect(fileOnly.groupID == "contact-worker")
            #expect(fileOnly.topics == WorkerTopics())

            let env = try await WorkerSettings.load(
                file: path, environment: ["KAFKA_BROKERS": "env:9092", "COMMANDS_TOPIC": "cmds"])
            #expect(env.kafkaBrokers == "env:9092")
            #expect(env.topics.commands == "cmds")

            let flags = try await WorkerSettings.load(
                file: path, environment: ["KAFKA_BROKERS": "env:9092"], overrides: ["kafka.brokers": "flag:9092"])
            #expect(flags.kafkaBrokers == "flag:9092")
        }
    }

    @Test("an empty variable or flag counts as unset: the file answers, not the built-in default")
    func emptyMeansUnset() async throws {
        try await withFile(
            "kafka:\n  brokers: file:9092\ndatabase:\n  url: postgres://app@db:5432/contacts\njwt:\n  hs256:\n    secret: \(Self.secret)\n"
        ) { path in
            // An unset ${DATABASE_URL} in a compose file arrives as an empty variable.
            let settings = try await WorkerSettings.load(
                file: path, environment: ["DATABASE_URL": "", "KAFKA_BROKERS": "  "], overrides: ["kafka.group.id": ""])
            #expect(settings.databaseURLText == "postgres://app@db:5432/contacts")
            #expect(settings.kafkaBrokers == "file:9092")
            #expect(settings.groupID == "contact-worker")
            let database = try await WorkerSettings.loadDatabaseURL(file: path, environment: ["DATABASE_URL": ""])
            #expect(database == (try DatabaseURL(parsing: "postgres://app@db:5432/contacts")))
        }
    }

    @Test("a list in the file where one value belongs is an error naming the key, not a check quietly turned off")
    func listWhereOneValueBelongs() async throws {
        try await withFile(
            "kafka:\n  brokers: file:9092\njwt:\n  audience: [crm, billing]\n  hs256:\n    secret: \(Self.secret)\n"
        ) { path in
            let error = await #expect(throws: ConfigurationError.self) {
                _ = try await WorkerSettings.load(file: path, environment: [:])
            }
            #expect(error?.description == "JWT_AUDIENCE: is a list; it takes one value")
        }
    }

    @Test("config/default.yaml's secret is the public development secret `run` warns about")
    func defaultFileUsesDevelopmentSecret() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let settings = try await WorkerSettings.load(
            file: root.appendingPathComponent("config/default.yaml").path, environment: [:])
        #expect(settings.usesDevelopmentSecret)
        let own = try await WorkerSettings.load(
            file: nil, environment: ["KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRET": Self.secret])
        #expect(!own.usesDevelopmentSecret)
    }

    @Test("config/production.example.yaml verifies against the JWKS mounted at /etc/contact-worker/jwks")
    func productionExampleUsesTheJWKS() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let settings = try await WorkerSettings.load(
            file: root.appendingPathComponent("config/production.example.yaml").path, environment: [:])
        #expect(settings.tokenKeys == .jwksFile(JWKSFile(path: "/etc/contact-worker/jwks/jwks.json")))
        #expect(settings.jwksPollInterval == .seconds(5))
        #expect(settings.jwtIssuer == "https://auth.example.com/")
    }

    @Test("a bad value is named the way it was given: flag, variable, or key in the file")
    func badValueNamesItsSource() async throws {
        try await withFile(
            "kafka:\n  brokers: file:9092\nhttp:\n  port: abc\njwt:\n  hs256:\n    secret: \(Self.secret)\n"
        ) { path in
            let fromFile = await #expect(throws: ConfigurationError.self) {
                _ = try await WorkerSettings.load(file: path, environment: [:])
            }
            #expect(fromFile?.description == #"http.port in \#(path): "abc" is not a port number (0–65535)"#)
            let fromEnvironment = await #expect(throws: ConfigurationError.self) {
                _ = try await WorkerSettings.load(file: path, environment: ["HTTP_PORT": "99999"])
            }
            #expect(fromEnvironment?.description == #"HTTP_PORT: "99999" is not a port number (0–65535)"#)
            let fromFlag = await #expect(throws: ConfigurationError.self) {
                _ = try await WorkerSettings.load(
                    file: path, environment: ["HTTP_PORT": "99999"], overrides: ["http.port": "70000"])
            }
            #expect(fromFlag?.description == #"--http-port: "70000" is not a port number (0–65535)"#)
        }
    }

    @Test("the consumer's memory bounds: 10,000 commands, 8 MiB and batches of 1,000 unless set")
    func consumerBuffer() async throws {
        let base = ["KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRET": Self.secret]
        let defaults = try await WorkerSettings.load(file: nil, environment: base)
        #expect(defaults.consumerBufferMessages == 10_000)
        #expect(defaults.consumerBufferBytes == 8_388_608)
        #expect(defaults.batchMaxCommands == 1_000)
        let set = try await WorkerSettings.load(
            file: nil,
            environment: base.merging([
                "CONSUMER_BUFFER_MESSAGES": "2000", "CONSUMER_BUFFER_BYTES": "1048576", "BATCH_MAX_COMMANDS": "300",
            ]) { $1 })
        #expect(set.consumerBufferMessages == 2_000)
        #expect(set.consumerBufferBytes == 1_048_576)
        #expect(set.batchMaxCommands == 300)
        // The consumer the worker configures takes batches of that size.
        let kafka = KafkaConfiguration(bootstrapServers: set.kafkaBrokers)
        #expect(WorkerApplication.consumerConfiguration(kafka, settings: set).maxBatchSize == 300)
        #expect(WorkerApplication.consumerConfiguration(kafka, settings: defaults).maxBatchSize == 1_000)
        // A full batch is planned ahead however small the batches are set.
        #expect(WorkerApplication.serviceConfiguration(settings: defaults).planAheadMinimum == 250)
        #expect(WorkerApplication.serviceConfiguration(settings: set).planAheadMinimum == 250)
        let small = try await WorkerSettings.load(
            file: nil, environment: base.merging(["BATCH_MAX_COMMANDS": "100"]) { $1 })
        #expect(WorkerApplication.serviceConfiguration(settings: small).planAheadMinimum == 100)
        // Unset, a batch is no larger than the consumer's bound.
        let smallBuffer = try await WorkerSettings.load(
            file: nil, environment: base.merging(["CONSUMER_BUFFER_MESSAGES": "400"]) { $1 })
        #expect(smallBuffer.batchMaxCommands == 400)
    }

    @Test("any other KAFKA_ variable becomes a librdkafka property")
    func passthrough() async throws {
        let settings = try await WorkerSettings.load(
            file: nil,
            environment: [
                "KAFKA_BROKERS": "b:9092", "KAFKA_GROUP_ID": "g", "KAFKA_SESSION_TIMEOUT_MS": "6000",
                "JWT_HS256_SECRET": Self.secret,
            ])
        #expect(settings.kafkaProperties == ["session.timeout.ms": "6000"])
        #expect(settings.groupID == "g")
    }

    @Test(
        "a bad value fails with one line naming the key",
        arguments: [
            (["HTTP_PORT": "abc"], #"HTTP_PORT: "abc" is not a port number (0–65535)"#),
            (
                ["DATABASE_URL": "mysql://x"],
                #"DATABASE_URL: unsupported scheme "mysql" (use sqlite:<path> or postgres://user:pass@host:port/db)"#
            ),
            (["KAFKA_SESSION_TIMEOUT_MS": "abc"], nil),
            (["KAFKA_NO_SUCH_PROPERTY": "1"], nil),
            (
                ["KAFKA_BOOTSTRAP_SERVERS": "env:9092"],
                "KAFKA_BOOTSTRAP_SERVERS: sets bootstrap.servers, which the worker takes from KAFKA_BROKERS (kafka.brokers, --brokers)"
            ),
            (["JWT_HS256_SECRET": "short"], "JWT_HS256_SECRET: must be at least 32 bytes (got 5)"),
            (["LOG_FORMAT": "xml"], #"LOG_FORMAT: "xml" is not one of text, json"#),
            (["CONSUMER_BUFFER_BYTES": "0"], #"CONSUMER_BUFFER_BYTES: "0" is not a positive integer"#),
            (["CONSUMER_BUFFER_MESSAGES": "lots"], #"CONSUMER_BUFFER_MESSAGES: "lots" is not a positive integer"#),
            (["BATCH_MAX_COMMANDS": "0"], #"BATCH_MAX_COMMANDS: "0" is not a number of commands from 1 to 100000"#),
            (
                ["BATCH_MAX_COMMANDS": "100001"],
                #"BATCH_MAX_COMMANDS: "100001" is not a number of commands from 1 to 100000"#
            ),
            (
                ["BATCH_MAX_COMMANDS": "20000"],
                "BATCH_MAX_COMMANDS: 20000 is more than the commands the consumer holds (CONSUMER_BUFFER_MESSAGES, 10000); raise that too"
            ),
            (
                ["RESULTS_TOPIC": "contacts.commands"],
                #"RESULTS_TOPIC: "contacts.commands" is also COMMANDS_TOPIC; each topic needs its own name"#
            ),
            (
                ["DLQ_TOPIC": "contacts.events"],
                #"DLQ_TOPIC: "contacts.events" is also EVENTS_TOPIC; each topic needs its own name"#
            ),
            (
                ["KAFKA_ACKS": "1"],
                "KAFKA_ACKS: acks=1 is not allowed: a broker could lose an event the worker has already deleted from its outbox (allowed: all, -1)"
            ),
            (
                ["KAFKA_ENABLE_IDEMPOTENCE": "false"],
                "KAFKA_ENABLE_IDEMPOTENCE: enable.idempotence=false is not allowed: the producer must be idempotent, or a retried send can duplicate or reorder a contact's events (allowed: true)"
            ),
            (
                ["KAFKA_ENABLE_AUTO_OFFSET_STORE": "true"],
                "KAFKA_ENABLE_AUTO_OFFSET_STORE: enable.auto.offset.store=true is not allowed: offsets must be stored only once a batch is written and published, or a crash skips commands (allowed: false)"
            ),
        ] as [([String: String], String?)])
    func badValues(overrides: [String: String], message: String?) async throws {
        var environment = ["KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRET": Self.secret]
        environment.merge(overrides) { $1 }
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await WorkerSettings.load(file: nil, environment: environment)
        }
        let key = overrides.keys.first ?? ""
        #expect(error?.key == key)
        if let message { #expect(error?.description == message) }
        #expect(error?.description.contains("\n") == false)
    }

    @Test("no JWT key at all is refused, naming JWT_HS256_SECRET")
    func missingKey() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await WorkerSettings.load(file: nil, environment: ["KAFKA_BROKERS": "b:9092"])
        }
        #expect(error?.key == "JWT_HS256_SECRET")
    }

    @Test(
        "a librdkafka property librdkafka refuses is named as the variable or flag that set it, before anything starts")
    func rejectedKafkaProperties() async throws {
        let environment = [
            "KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRET": Self.secret, "KAFKA_SESSION_TIMEOUT_MS": "abc",
        ]
        let fromEnvironment = await #expect(throws: ConfigurationError.self) {
            _ = try await WorkerSettings.load(file: nil, environment: environment)
        }
        #expect(fromEnvironment?.key == "KAFKA_SESSION_TIMEOUT_MS")
        #expect(
            fromEnvironment?.description.hasPrefix(
                #"KAFKA_SESSION_TIMEOUT_MS: librdkafka rejects session.timeout.ms="abc": "#) == true)
        let fromFlag = await #expect(throws: ConfigurationError.self) {
            _ = try await WorkerSettings.load(
                file: nil, environment: ["KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRET": Self.secret],
                overrides: ["kafka.property.group.id": "other"])
        }
        #expect(fromFlag?.key == "kafka.property.group.id")
    }

    @Test("the variables Kubernetes adds for a Service named kafka are not librdkafka properties")
    func kubernetesServiceLinks() async throws {
        let settings = try await WorkerSettings.load(
            file: nil,
            environment: [
                "KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRET": Self.secret, "KAFKA_PORT": "tcp://10.0.0.7:9092",
                "KAFKA_PORT_9092_TCP": "tcp://10.0.0.7:9092", "KAFKA_PORT_9092_TCP_ADDR": "10.0.0.7",
                "KAFKA_SERVICE_HOST": "10.0.0.7", "KAFKA_SERVICE_PORT": "9092", "KAFKA_LINGER_MS": "2",
            ])
        #expect(settings.kafkaProperties == ["linger.ms": "2"])
    }

    @Test("an HS256 secret and a public key file: the higher-precedence source wins, the same one is an error")
    func jwtKeyPrecedence() async throws {
        let pem = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString).pem").path
        try Data("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n".utf8).write(
            to: URL(fileURLWithPath: pem))
        defer { try? FileManager.default.removeItem(atPath: pem) }
        func isHS256(_ key: TokenKeySource) -> Bool {
            if case .hs256 = key { return true }
            return false
        }
        try await withFile("kafka:\n  brokers: b:9092\njwt:\n  public:\n    key:\n      file: \(pem)\n") { path in
            let fileKey = try await WorkerSettings.load(file: path, environment: [:])
            #expect(!isHS256(fileKey.tokenKeys))
            let environmentSecret = try await WorkerSettings.load(
                file: path, environment: ["JWT_HS256_SECRET": Self.secret])
            #expect(isHS256(environmentSecret.tokenKeys))
            let both = await #expect(throws: ConfigurationError.self) {
                _ = try await WorkerSettings.load(
                    file: path, environment: ["JWT_HS256_SECRET": Self.secret, "JWT_PUBLIC_KEY_FILE": pem])
            }
            #expect(
                both?.description
                    == "JWT_PUBLIC_KEY_FILE: and JWT_HS256_SECRET are both set in the environment; set one")
        }
        try await withFile("kafka:\n  brokers: b:9092\njwt:\n  hs256:\n    secret: \(Self.secret)\n") { path in
            let environmentKey = try await WorkerSettings.load(file: path, environment: ["JWT_PUBLIC_KEY_FILE": pem])
            #expect(!isHS256(environmentKey.tokenKeys))
        }
    }

    @Test("the settings the parser reads are the ones docs/configuration.md lists; other variables are ignored")
    func settingKeysMatchTheDocumentation() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let documentation = try String(
            contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        // Rows of the settings table: | `VARIABLE` (`file.key`) | …
        var documented: [String: String] = [:]
        for line in documentation.split(separator: "\n") {
            let columns = line.split(separator: "`")
            if line.hasPrefix("| `"), columns.count > 3, columns[2] == " (" {
                documented[String(columns[3])] = String(columns[1])
            }
        }
        #expect(documented.keys.sorted() == WorkerSettings.settingKeys.sorted())
        for (key, variable) in documented {
            #expect(WorkerSettings.reads(environmentVariable: variable), "\(key)")
        }
        #expect(WorkerSettings.reads(environmentVariable: "KAFKA_SESSION_TIMEOUT_MS"))
        #expect(!WorkerSettings.reads(environmentVariable: "KAFKA_SERVICE_HOST"))
        #expect(!WorkerSettings.reads(environmentVariable: "KAFKA_"))
        #expect(!WorkerSettings.reads(environmentVariable: "DATABASE_URI"))
    }

    @Test("JWT_JWKS_FILE names the key set; with another key setting in the same source it is an error")
    func jwksFile() async throws {
        let environment = ["KAFKA_BROKERS": "b:9092", "JWT_JWKS_FILE": "/etc/contact-worker/jwks/jwks.json"]
        let settings = try await WorkerSettings.load(file: nil, environment: environment)
        #expect(settings.tokenKeys == .jwksFile(JWKSFile(path: "/etc/contact-worker/jwks/jwks.json")))
        #expect(settings.jwksPollInterval == .seconds(5))
        #expect(!settings.usesDevelopmentSecret)
        // Over the file's secret (config/default.yaml's development secret, say).
        try await withFile("kafka:\n  brokers: b:9092\njwt:\n  hs256:\n    secret: \(Self.secret)\n") { path in
            let overridden = try await WorkerSettings.load(file: path, environment: environment)
            #expect(overridden.tokenKeys == .jwksFile(JWKSFile(path: "/etc/contact-worker/jwks/jwks.json")))
        }
        for (other, value) in [("JWT_PUBLIC_KEY_FILE", "/k.pem"), ("JWT_HS256_SECRETS", Self.secret)] {
            let both = await #expect(throws: ConfigurationError.self) {
                _ = try await WorkerSettings.load(file: nil, environment: environment.merging([other: value]) { $1 })
            }
            #expect(both?.description == "JWT_JWKS_FILE: and \(other) are both set in the environment; set one")
        }
        let polls = try await WorkerSettings.load(
            file: nil, environment: environment.merging(["JWT_JWKS_POLL_SECONDS": "0"]) { $1 })
        #expect(polls.jwksPollInterval == nil)
        let badPoll = await #expect(throws: ConfigurationError.self) {
            _ = try await WorkerSettings.load(
                file: nil, environment: environment.merging(["JWT_JWKS_POLL_SECONDS": "soon"]) { $1 })
        }
        #expect(
            badPoll?.description
                == #"JWT_JWKS_POLL_SECONDS: "soon" is not a number of seconds from 0 (SIGHUP only) to 3600"#)
    }

    @Test("a verifier from JWT_JWKS_FILE settings (as replay and dlq build it) checks tokens against the file's keys")
    func verifierFromJWKSFile() async throws {
        let old = try await TestSigningKey.es256(kid: "old")
        let current = try await TestSigningKey.es256(kid: "current")
        let removed = try await TestSigningKey.es256(kid: "removed")
        let volume = try SecretVolume(name: "jwks.json", contents: TestSigningKey.jwks([current, old]))
        defer { volume.remove() }
        let settings = try await WorkerSettings.load(
            file: nil, environment: ["KAFKA_BROKERS": "b:9092", "JWT_JWKS_FILE": volume.path])
        let verifier = try await settings.makeTokenVerifier()
        let claims = TokenClaims(
            sub: "u", exp: Date().timeIntervalSince1970 + 60, businessID: "biz-1", role: "owner")
        let now = Timestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000))
        func verify(_ key: TestSigningKey) async throws -> Result<Principal, AuthFailure> {
            await verifier.verify(authorizationHeader: "Bearer \(try await key.sign(claims))", now: now)
        }
        #expect(try await verify(old) == .success(Principal(userID: "u", businessID: "biz-1", role: .owner)))
        #expect(try await verify(current) == .success(Principal(userID: "u", businessID: "biz-1", role: .owner)))
        #expect(try await verify(removed) == .failure(.unknownKeyID("removed")))

        try volume.update("{}")
        await #expect(
            throws: TokenConfigurationError.invalidJWKS(reason: #"not a JWKS: expected an object with a "keys" array"#)
        ) {
            _ = try await settings.makeTokenVerifier()
        }
    }

    @Test("JWT_HS256_SECRETS: comma- or newline-separated (or a YAML list), current first, each at least 32 bytes")
    func hs256SecretList() async throws {
        let current = "current-secret-0123456789-abcdefghijkl"
        let previous = "previous-secret-0123456789-abcdefghijk"
        for text in ["\(current),\(previous)", " \(current) ,\n\(previous)\n", "\(current)\n\(previous)"] {
            let settings = try await WorkerSettings.load(
                file: nil, environment: ["KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRETS": text])
            #expect(settings.tokenKeys == .hs256(secrets: [Array(current.utf8), Array(previous.utf8)]))
        }
        try await withFile(
            "kafka:\n  brokers: b:9092\njwt:\n  hs256:\n    secrets:\n      - \(current)\n      - \(previous)\n"
        ) { path in
            let settings = try await WorkerSettings.load(file: path, environment: [:])
            #expect(settings.tokenKeys == .hs256(secrets: [Array(current.utf8), Array(previous.utf8)]))
        }
        let short = await #expect(throws: ConfigurationError.self) {
            _ = try await WorkerSettings.load(
                file: nil, environment: ["KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRETS": "\(current),short"])
        }
        #expect(short?.description == "JWT_HS256_SECRETS: secret 2 must be at least 32 bytes (got 5)")
        let development = try await WorkerSettings.load(
            file: nil,
            environment: [
                "KAFKA_BROKERS": "b:9092", "JWT_HS256_SECRETS": "\(current),\(WorkerSettings.developmentSecret)",
            ])
        #expect(development.usesDevelopmentSecret)
    }
}
