import Kafka
import Testing

@testable import ContactWorker

@Suite("Rows left pending behind a batch, per partition")
struct RowsLeftPendingTests {
    let p0 = TopicPartition("commands", 0)
    let p1 = TopicPartition("commands", 1)
    let p2 = TopicPartition("commands", 2)

    @Test("only the marked partitions among a batch's are left behind")
    func marksArePerPartition() {
        var pending = RowsLeftPending()
        #expect(pending.leftBehind(among: [p0, p1]).partitions.isEmpty)
        pending.mark([p1])
        #expect(pending.leftBehind(among: [p0, p1]).partitions == [p1])
        #expect(pending.leftBehind(among: [p0, p2]).partitions.isEmpty)
    }

    @Test("a drain clears the partitions it published")
    func publishedClears() {
        var pending = RowsLeftPending()
        pending.mark([p0, p1])
        let (leftBehind, through) = pending.leftBehind(among: [p0])
        #expect(leftBehind == [p0])
        pending.published([p0], through: through)
        #expect(pending.leftBehind(among: [p0, p1]).partitions == [p1])
    }

    @Test("a partition marked again while the drain ran keeps its mark; the others are cleared")
    func markDuringDrainSurvives() {
        var pending = RowsLeftPending()
        pending.mark([p0, p1])
        let through = pending.leftBehind(among: [p0, p1]).through
        pending.mark([p1])
        pending.published([p0, p1], through: through)
        #expect(pending.leftBehind(among: [p0, p1, p2]).partitions == [p1])
    }

    @Test("clearing a partition that was never marked changes nothing")
    func clearingUnmarked() {
        var pending = RowsLeftPending()
        pending.mark([p2])
        pending.published([p0], through: pending.leftBehind(among: [p0]).through)
        #expect(pending.leftBehind(among: [p0, p2]).partitions == [p2])
    }
}
