// swift-tools-version: 6.2
import PackageDescription

// Every target is Swift 6 language mode (complete concurrency checking is implied by it).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

// The release binary on Linux, linked by lld: it exports no symbols of its own (the toolchain's
// static-stdlib link exports every public symbol of every module, which only a plugin loader
// would need), and it packs its relative relocations (DT_RELR, glibc 2.36 and later). Both shrink
// what the loader reads and maps at start: see decision 0016.
let releaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
        .when(platforms: [.linux], configuration: .release)
    )
]

let package = Package(
    name: "contact-worker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "contact-worker", targets: ["contact-worker"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "ContactDomain", targets: ["ContactDomain"]),
        .library(name: "ContactStore", targets: ["ContactStore"]),
        .library(name: "ContactWorker", targets: ["ContactWorker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // Already in the graph through swift-configuration's YAML trait (same URL and range); the
        // deployment manifest tests read the Kubernetes YAML with it.
        .package(url: "https://github.com/jpsim/Yams", "5.4.0"..<"7.0.0"),
    ],
    targets: [
        // MARK: - librdkafka
        .systemLibrary(
            name: "CKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "Kafka",
            dependencies: [
                "CKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Product modules
        .target(
            name: "ContactDomain",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ContactStore",
            dependencies: [
                "ContactDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the batch write's row binding (SQLiteRowBinder).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ContactWorker",
            dependencies: [
                "Kafka",
                "ContactDomain",
                "ContactStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "contact-worker",
            dependencies: [
                "Kafka",
                "ContactDomain",
                "ContactStore",
                "ContactWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: releaseLinkerSettings
        ),

        // MARK: - Tests
        // What the test targets share: waiting with a deadline, the test environment, the outage
        // server lock. A regular target, because test targets cannot depend on one another.
        .target(
            name: "ContactWorkerTestSupport",
            dependencies: [.product(name: "JWTKit", package: "jwt-kit")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // The worker harness both worker test targets use: a mock cluster, a fresh store and token
        // keys per test, an in-process worker, sending and reading commands, the seeded command
        // scenarios, and reading HTTP replies and Prometheus samples.
        .target(
            name: "ContactWorkerHarness",
            dependencies: [
                "ContactWorker", "Kafka", "ContactDomain", "ContactStore", "ContactWorkerTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/ContactWorkerHarness",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "ContactWorkerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContactDomainTests",
            dependencies: [
                "ContactDomain", "ContactWorkerTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContactStoreTests",
            dependencies: [
                "ContactStore", "ContactDomain", "ContactWorkerTestSupport",
                // Connections of the test's own: to hold locks the store must wait for, and to
                // write rows the way an older schema held them.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // To see what a statement run by SQLiteRowBinder is left bound to.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContactWorkerTests",
            dependencies: [
                "ContactWorker", "Kafka", "ContactDomain", "ContactStore", "ContactWorkerTestSupport",
                "ContactWorkerHarness",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The suites that run `contact-worker` as child processes (`run`, `dev`, the operator tools),
        // apart from the in-process ones so that `--skip ContactWorkerProcessTests` leaves them out.
        .testTarget(
            name: "ContactWorkerProcessTests",
            dependencies: [
                "ContactWorker", "Kafka", "ContactDomain", "ContactStore", "ContactWorkerTestSupport",
                "ContactWorkerHarness",
                // A session of the test's own, to hold row locks a worker's batch must wait for.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
