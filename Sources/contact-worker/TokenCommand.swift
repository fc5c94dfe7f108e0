import ArgumentParser

/// `contact-worker token`: mints a development JWT with the configured HS256 key.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a JWT with the configured HS256 dev key."
    )

    @Option(help: "User id (sub claim).")
    var sub: String = "dev-user"

    @Option(help: "Display name (name claim).")
    var name: String = "Dev User"

    @Option(help: "Business id (business_id claim).")
    var business: String

    @Option(help: "Role: owner, admin, manager, employee, contractor or viewer.")
    var role: String = "manager"

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 3600

    func run() async throws {
        throw NotYetAvailable(command: "token", issue: 5)
    }
}
