import ArgumentParser

/// The arguments both contact queries (`interactions`, `history`) take.
struct ContactQueryOptions: ParsableArguments {
    @Argument(help: "The contact id.")
    var contactID: String

    @Option(help: "The contact's business id.")
    var business: String

    @Option(help: "Entries to skip.")
    var skip: Int = 0

    @Option(help: "Entries to show (1–100).")
    var limit: Int = 50
}
