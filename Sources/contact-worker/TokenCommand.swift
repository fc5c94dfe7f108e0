import ArgumentParser
import ContactDomain
import ContactWorker
import Foundation

/// `contact-worker token`: mints a development JWT with the configured HS256 key.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a JWT with the configured HS256 key (JWT_HS256_SECRET), for driving the worker by hand."
    )

    @Option(help: "User id (sub claim).")
    var sub: String = "dev-user"

    @Option(help: "Display name (name claim).")
    var name: String = "Dev User"

    @Option(help: "Business id (business_id claim).")
    var business: String

    @Option(help: "Role: owner, admin, manager, employee, contractor or viewer.")
    var role: String = "manager"

    @Option(help: "Extra permission strings; repeatable.")
    var permission: [String] = []

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 3600

    @Option(
        help:
            "The HS256 secret; defaults to JWT_HS256_SECRET, the first of JWT_HS256_SECRETS, or the config file's jwt.hs256.secret."
    )
    var secret: String?

    @Option(help: "The iss claim; defaults to JWT_ISSUER (a worker with an issuer set refuses tokens without it).")
    var issuer: String?

    @Option(help: "The aud claim; defaults to JWT_AUDIENCE (likewise).")
    var audience: String?

    @Option(help: "Configuration file (YAML).")
    var config: String?

    func run() async throws {
        guard Role(rawValue: role) != nil else {
            throw ValidationError(
                "--role: \"\(role)\" is not one of owner, admin, manager, employee, contractor, viewer")
        }
        let (key, configuredIssuer, configuredAudience) = try await resolveKey()
        print(
            try await Self.mint(
                secret: key, sub: sub, name: name, business: business, role: role, permissions: permission, ttl: ttl,
                issuer: issuer ?? configuredIssuer, audience: audience ?? configuredAudience))
    }

    /// The secret, and the issuer and audience the worker checks, from the flags or the configuration
    /// (a `--secret` still takes the configured issuer and audience: the worker checks them too).
    private func resolveKey() async throws -> (secret: String, issuer: String?, audience: String?) {
        var environment = ProcessInfo.processInfo.environment
        // Only the JWT settings matter here; let the rest default.
        environment["KAFKA_BROKERS"] = environment["KAFKA_BROKERS"] ?? "unused:9092"
        let settings = try await WorkerSettings.load(
            file: config
                ?? (FileManager.default.fileExists(atPath: "config/default.yaml") ? "config/default.yaml" : nil),
            environment: environment, overrides: secret.map { ["jwt.hs256.secret": $0] } ?? [:])
        // The current secret: the first of JWT_HS256_SECRETS.
        guard case .hs256(let secrets) = settings.tokenKeys, let secret = secrets.first else {
            throw ValidationError(
                "the configured JWT keys are public keys or a JWKS; minting needs JWT_HS256_SECRET(S) or --secret")
        }
        return (String(decoding: secret, as: UTF8.self), settings.jwtIssuer, settings.jwtAudience)
    }

    static func mint(
        secret: String, sub: String, name: String, business: String, role: String, permissions: [String] = [], ttl: Int,
        issuer: String? = nil, audience: String? = nil
    ) async throws -> String {
        let signer = try await TokenSigner(hs256Secret: secret)
        let claims = TokenClaims(
            sub: sub, exp: Date().timeIntervalSince1970.rounded(.down) + Double(ttl), name: name, businessID: business,
            role: role, permissions: permissions.isEmpty ? nil : permissions, iss: issuer, aud: audience.map { [$0] })
        return try await signer.sign(claims)
    }
}
