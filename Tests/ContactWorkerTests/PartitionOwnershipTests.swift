@testable import ContactWorker
import ContactWorkerTestSupport
import Kafka
import Testing

@Suite("Partition ownership (which partitions the worker holds, and since when)")
struct PartitionOwnershipTests {
    @Test(
        "every assign raises the generation, and so does a revoke as soon as it starts, while a batch still holds it back"
    )
    func generationCountsAssignmentChanges() async throws {
        let ownership = PartitionOwnership()
        let partition = TopicPartition("commands", 0)
        let first = ownership.generation
        ownership.assign([partition: 1])
        #expect(ownership.generation == first + 1)

        let ticket = ownership.begin([KafkaMessage(topic: "commands", partition: 0, offset: 0, key: nil, value: [])])
        #expect(ticket.messages.count == 1)
        let revoke = Task { await ownership.revoke([partition]) }
        // The batch has not ended, so the revoke waits; a plan made meanwhile already sees it.
        try await eventually(10, "the revoke to start") { ownership.generation == first + 2 }
        #expect(!ownership.ownsAll([partition]))
        ownership.end(ticket)
        await revoke.value

        ownership.assign([partition: 1])
        #expect(ownership.generation == first + 3)
    }
}
