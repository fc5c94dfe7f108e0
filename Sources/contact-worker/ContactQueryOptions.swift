import ArgumentParser
import ContactDomain
import ContactStore
import ContactWorker

/// The arguments both contact queries (`interactions`, `history`) take, and the query itself.
struct ContactQueryOptions: ParsableArguments {
    @Argument(help: "The contact id.")
    var contactID: String

    @Option(help: "The contact's business id (another business's contact is reported as not found).")
    var business: String

    @Option(help: "Entries to skip.")
    var skip: Int = 0

    @Option(help: "Entries to show (1–100).")
    var limit: Int = ContactQueries.defaultLimit

    @Flag(help: "Print the HTTP read side's JSON body instead of readable lines.")
    var json = false

    @OptionGroup var settings: DatabaseOptions

    /// Runs the query against the configured database and prints the page with `line` per item.
    func run(_ listing: ContactQueries.Listing, noun: String, line: (JSONValue) -> String) async throws {
        let databaseURL = try await settings.loadDatabaseURL()
        try databaseURL.requireExistingSQLiteFile()
        let store = try await makeContactStore(url: databaseURL, logger: BenchCommand.logger)
        let outcome: ContactQueries.Outcome
        do {
            outcome = try await ContactQueries(store: store).list(
                listing, contactID: contactID, businessID: business, skip: String(skip), limit: String(limit))
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        switch outcome {
        case .page(let body) where !json:
            let items = body[listing.itemsKey]?.arrayValue ?? []
            let total = body["total"]?.intValue ?? 0
            say(
                "\(items.count) of \(total) \(noun) of contact \(contactID) (skip \(skip), limit \(limit)), newest first"
            )
            for item in items { say("  " + line(item)) }
        case .page(let body):
            say(String(decoding: body.encoded(), as: UTF8.self))
        case .invalid(let problems):
            throw OperatorError(problems.map { "\($0.loc.last ?? "?"): \($0.msg)" }.joined(separator: "; "))
        case .notFound:
            throw OperatorError("contact \(contactID) not found in business \(business)")
        }
    }
}

extension JSONValue {
    /// The text of a string member, or `-` when it is null or absent (for readable lines).
    func text(_ key: String) -> String {
        self[key]?.stringValue ?? "-"
    }
}
