@testable import Kafka
import Testing

@Suite("FetchPositions")
struct FetchPositionsTests {
    private static let p0 = TopicPartition("t", 0)
    private static let p1 = TopicPartition("t", 1)

    private static func messages(_ tp: TopicPartition, _ offsets: Range<Int64>) -> [KafkaMessage] {
        offsets.map { KafkaMessage(topic: tp.topic, partition: tp.partition, offset: $0, key: nil, value: [1]) }
    }

    private static func positions(_ batch: [KafkaMessage]) -> [String] {
        batch.map { "\($0.partition)@\($0.offset)" }
    }

    /// Hands out one poll's messages and events; returns what was handed out and the actions.
    private static func poll(
        _ positions: inout FetchPositions, _ batch: [KafkaMessage], events: [KafkaPartitionEvent] = []
    ) -> (handedOut: [String], events: [KafkaPartitionEvent], actions: [FetchPositions.Action]) {
        var batch = batch
        var events = events
        positions.beginPoll()
        let actions = positions.handOut(&batch, events: &events)
        return (Self.positions(batch), events, actions)
    }

    /// Two partitions assigned by the group, each handed out up to offset 5 (next: 5).
    private static func consumedUpToFive() -> FetchPositions {
        var positions = FetchPositions()
        _ = positions.groupAssigned([p0, p1], startingAt: [:])
        _ = poll(&positions, messages(p0, 0..<5) + messages(p1, 0..<5))
        return positions
    }

    @Test("a poll whose partitions come in several runs records each partition's last offset")
    func interleavedRunsSetNextOffsets() {
        var positions = FetchPositions()
        _ = positions.groupAssigned([Self.p0, Self.p1], startingAt: [:])
        _ = Self.poll(
            &positions,
            Self.messages(Self.p0, 0..<3) + Self.messages(Self.p1, 0..<2) + Self.messages(Self.p0, 3..<5)
                + Self.messages(Self.p1, 2..<3))
        #expect(positions.expected == [Self.p0: 5, Self.p1: 3])
    }

    @Test("a full buffer pauses every assigned partition once; draining resumes those the application did not pause")
    func flowControlPausesAndResumes() {
        var positions = Self.consumedUpToFive()
        positions.pause([Self.p1])
        #expect(positions.setFlowPaused(true) == [.pause([Self.p0, Self.p1])])
        #expect(positions.setFlowPaused(true) == [], "already paused")
        #expect(positions.setFlowPaused(false) == [.resume([Self.p0])])
        #expect(positions.setFlowPaused(false) == [], "already fetching")
    }

    @Test("a partition resumed past messages never handed out is held back and sought back, once (LRK-3)")
    func resumedPastUnreadMessages() {
        var positions = Self.consumedUpToFive()
        _ = positions.setFlowPaused(true)
        _ = positions.setFlowPaused(false)
        let end = KafkaPartitionEvent(Self.p0, .end(nextOffset: 10))
        let gap = Self.poll(&positions, Self.messages(Self.p0, 8..<10) + Self.messages(Self.p1, 5..<7), events: [end])
        #expect(gap.handedOut == ["1@5", "1@6"])
        #expect(gap.events.isEmpty, "the end of partition 0 is not reached while 5...7 are missing")
        let seek = FetchPositions.Seek(Self.p0, to: 5, .resumedPast)
        #expect(gap.actions == [.reportResumedPast(Self.p0, expected: 5), .seek(seek)])

        positions.seekEnded(seek, succeeded: true)
        #expect(Self.poll(&positions, Self.messages(Self.p0, 5..<7)).handedOut == ["0@5", "0@6"])
        // Only the first message after the resume is checked: a later gap is a real one
        // (compaction, transaction markers).
        let later = Self.poll(&positions, Self.messages(Self.p0, 9..<10))
        #expect(later.handedOut == ["0@9"])
        #expect(later.actions.isEmpty)
    }

    @Test("a partition that resumes where it stopped is handed out without a seek")
    func resumedInPlace() {
        var positions = Self.consumedUpToFive()
        _ = positions.setFlowPaused(true)
        _ = positions.setFlowPaused(false)
        let next = Self.poll(&positions, Self.messages(Self.p0, 5..<7))
        #expect(next.handedOut == ["0@5", "0@6"])
        #expect(next.actions.isEmpty)
    }

    @Test("the start offset chosen on assignment is checked after a resume before the first message is handed out")
    func assignedStartIsChecked() {
        var positions = FetchPositions()
        #expect(positions.groupAssigned([Self.p0], startingAt: [Self.p0: 40]) == [])
        _ = positions.setFlowPaused(true)
        _ = positions.setFlowPaused(false)
        let gap = Self.poll(&positions, Self.messages(Self.p0, 42..<44))
        #expect(gap.handedOut.isEmpty)
        #expect(
            gap.actions == [.reportResumedPast(Self.p0, expected: 40), .seek(.init(Self.p0, to: 40, .resumedPast))])
    }

    @Test("a failed seek back leaves the partition checked again, so the gap is not skipped for good")
    func failedSeekBackIsTriedAgain() {
        var positions = Self.consumedUpToFive()
        _ = positions.setFlowPaused(true)
        _ = positions.setFlowPaused(false)
        let seek = FetchPositions.Seek(Self.p0, to: 5, .resumedPast)
        #expect(Self.poll(&positions, Self.messages(Self.p0, 8..<9)).actions.last == .seek(seek))
        positions.seekEnded(seek, succeeded: false)
        let again = Self.poll(&positions, Self.messages(Self.p0, 9..<10))
        #expect(again.handedOut.isEmpty)
        #expect(again.actions == [.reportResumedPast(Self.p0, expected: 5), .seek(seek)])
    }

    @Test("a gap found while fetching is paused again is sought when fetching resumes, not before (LRK-4)")
    func gapWhilePausedAgain() {
        var positions = Self.consumedUpToFive()
        _ = positions.setFlowPaused(true)
        _ = positions.setFlowPaused(false)
        _ = positions.setFlowPaused(true)
        let gap = Self.poll(&positions, Self.messages(Self.p0, 8..<9))
        #expect(gap.handedOut.isEmpty)
        #expect(gap.actions == [.reportResumedPast(Self.p0, expected: 5)])
        #expect(
            positions.setFlowPaused(false) == [.resume([Self.p0, Self.p1]), .seek(.init(Self.p0, to: 5, .flowResume))])
    }

    @Test("messages of a partition the application paused are held back and read again from the lowest on resume")
    func userPausedMessagesAreHeldBack() {
        var positions = Self.consumedUpToFive()
        positions.pause([Self.p1])
        // The buffer held p1 from 6 on when it was paused; the poll still read 5 and 8.
        positions.rewind([Self.p1: 6])
        let end = KafkaPartitionEvent(Self.p1, .end(nextOffset: 9))
        let read = Self.messages(Self.p0, 5..<6) + Self.messages(Self.p1, 5..<6) + Self.messages(Self.p1, 8..<9)
        let held = Self.poll(&positions, read, events: [end])
        #expect(held.handedOut == ["0@5"])
        #expect(held.events.isEmpty)
        #expect(held.actions == [.pause([Self.p1])])
        #expect(positions.resume([Self.p1]) == [.resume([Self.p1]), .seek(.init(Self.p1, to: 5, .resume))])
        #expect(positions.resume([Self.p1]) == [.resume([Self.p1])], "the rewind is used once")
    }

    @Test("an application resume during a flow-control pause waits for the flow-control resume")
    func resumeDuringFlowPause() {
        var positions = Self.consumedUpToFive()
        positions.pause([Self.p1])
        positions.rewind([Self.p1: 3])
        _ = positions.setFlowPaused(true)
        #expect(positions.resume([Self.p1]) == [])
        #expect(
            positions.setFlowPaused(false) == [.resume([Self.p0, Self.p1]), .seek(.init(Self.p1, to: 3, .flowResume))])
    }

    @Test("the application's seek of a fetching partition is sent at once; of a paused one, on resume (LRK-4)")
    func applicationSeek() {
        var positions = Self.consumedUpToFive()
        let seek = FetchPositions.Seek(Self.p0, to: 2, .requested)
        #expect(positions.seek(Self.p0, to: 2) == [.seek(seek)])
        positions.seekEnded(seek, succeeded: true)
        #expect(Self.poll(&positions, Self.messages(Self.p0, 2..<3)).handedOut == ["0@2"])

        positions.pause([Self.p1])
        #expect(positions.seek(Self.p1, to: 9) == [])
        #expect(positions.seek(Self.p1, to: 12) == [], "the latest seek wins, not the lowest")
        #expect(positions.resume([Self.p1]) == [.resume([Self.p1]), .seek(.init(Self.p1, to: 12, .resume))])
    }

    @Test("a failed application seek is the application's to handle: the partition is not checked again")
    func failedApplicationSeek() {
        var positions = Self.consumedUpToFive()
        let seek = FetchPositions.Seek(Self.p0, to: 2, .requested)
        _ = positions.seek(Self.p0, to: 2)
        positions.seekEnded(seek, succeeded: false)
        _ = positions.setFlowPaused(true)
        _ = positions.setFlowPaused(false)
        let next = Self.poll(&positions, Self.messages(Self.p0, 7..<8))
        #expect(next.handedOut == ["0@7"])
        #expect(next.actions.isEmpty)
    }

    @Test("after a flow-control resume, a rewound partition is checked against where it was sought")
    func flowResumeSeekIsChecked() {
        var positions = Self.consumedUpToFive()
        _ = positions.setFlowPaused(true)
        #expect(positions.seek(Self.p0, to: 3) == [])
        let seek = FetchPositions.Seek(Self.p0, to: 3, .flowResume)
        #expect(positions.setFlowPaused(false) == [.resume([Self.p0, Self.p1]), .seek(seek)])
        positions.seekEnded(seek, succeeded: true)
        let gap = Self.poll(&positions, Self.messages(Self.p0, 4..<5))
        #expect(gap.actions == [.reportResumedPast(Self.p0, expected: 3), .seek(.init(Self.p0, to: 3, .resumedPast))])
    }

    @Test("a revoked partition is forgotten: paused or rewound, it comes back fetching from its new start")
    func revokeOfPausedPartition() {
        var positions = Self.consumedUpToFive()
        positions.pause([Self.p1])
        positions.rewind([Self.p1: 4])
        // A rebalance ran inside this poll: what it read of p1 is no longer ours.
        positions.beginPoll()
        positions.groupRevoked([Self.p1])
        var batch = Self.messages(Self.p0, 5..<6) + Self.messages(Self.p1, 5..<6)
        var events = [KafkaPartitionEvent(Self.p1, .end(nextOffset: 6))]
        #expect(positions.handOut(&batch, events: &events) == [])
        #expect(Self.positions(batch) == ["0@5"])
        #expect(events.isEmpty)
        #expect(positions.assigned == [Self.p0])

        #expect(positions.groupAssigned([Self.p1], startingAt: [Self.p1: 20]) == [])
        #expect(positions.resume([Self.p1]) == [.resume([Self.p1])], "no rewind survives the revoke")
        #expect(Self.poll(&positions, Self.messages(Self.p1, 20..<21)).handedOut == ["1@20"])
    }

    @Test("partitions assigned during a flow-control pause join it")
    func assignDuringFlowPause() {
        var positions = FetchPositions()
        _ = positions.groupAssigned([Self.p0], startingAt: [:])
        _ = positions.setFlowPaused(true)
        positions.groupRevoked([Self.p0])
        #expect(positions.groupAssigned([Self.p0, Self.p1], startingAt: [:]) == [.pause([Self.p0, Self.p1])])
        #expect(positions.setFlowPaused(false) == [.resume([Self.p0, Self.p1])])
    }

    @Test("an assignment by hand replaces everything: no pauses, no rewinds, absolute starts checked after a resume")
    func assignByHand() {
        var positions = Self.consumedUpToFive()
        positions.pause([Self.p1])
        positions.rewind([Self.p1: 2])
        _ = positions.setFlowPaused(true)
        #expect(positions.assign([Self.p0: 30, Self.p1: -2]) == [.pause([Self.p0, Self.p1])])
        #expect(positions.userPaused.isEmpty)
        #expect(positions.setFlowPaused(false) == [.resume([Self.p0, Self.p1])])
        let next = Self.poll(&positions, Self.messages(Self.p0, 31..<32) + Self.messages(Self.p1, 7..<8))
        #expect(next.handedOut == ["1@7"], "the logical start of p1 (beginning) has nothing to check")
        #expect(
            next.actions == [.reportResumedPast(Self.p0, expected: 30), .seek(.init(Self.p0, to: 30, .resumedPast))])
    }

    @Test("a failed rebalance drops the whole assignment")
    func failedRebalance() {
        var positions = Self.consumedUpToFive()
        positions.groupRebalanceFailed()
        #expect(positions.assigned.isEmpty)
        #expect(positions.setFlowPaused(true) == [])
    }
}
