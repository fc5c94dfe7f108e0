/// How ``KafkaProducer/send(keyOrdered:)`` splits records into rounds: round `k` holds the `k`-th
/// record of every topic and key, so no two records of one key are ever in flight together.
///
/// A failed record then cannot be overtaken by a later record of its key: the later one is in a
/// later round, which is sent only once every record of the rounds before it was acknowledged.
/// Records without a key have no order to keep and all go in the first round.
enum KafkaKeyOrder {
    private struct Key: Hashable {
        let topic: String
        let key: [UInt8]

        /// The key's bytes in one call, not one hasher call per byte as `[UInt8]` hashes them.
        func hash(into hasher: inout Hasher) {
            hasher.combine(topic)
            key.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// The indexes of `messages` per round, each round in input order; empty for no messages.
    static func rounds(_ messages: [KafkaOutgoingMessage]) -> [[Int]] {
        /// The count before this record's, counting it: one hash lookup per record.
        func next(_ count: inout Int) -> Int {
            defer { count += 1 }
            return count
        }
        var seen: [Key: Int] = [:]
        seen.reserveCapacity(messages.count)
        var rounds: [[Int]] = []
        for (index, message) in messages.enumerated() {
            var round = 0
            if let key = message.key {
                round = next(&seen[Key(topic: message.topic, key: key), default: 0])
            }
            if round == rounds.count { rounds.append([]) }
            rounds[round].append(index)
        }
        return rounds
    }
}
