import ContactDomain
import ContactStore
import Kafka
import Logging
import Synchronization

/// The batch pipeline: consume, plan, write, publish, in order.
///
/// Each batch of consumed commands becomes one store transaction (state, idempotency records,
/// outbox rows and the partitions' next offsets together); then its outbox rows are published,
/// and then its offsets are stored for the next Kafka commit. The next batch's transaction marks
/// the delivered rows published. Up to three batches are in flight, each stage in batch order.
///
/// - Important: State carried from one plan to the next is valid only while the batch it came
///   from is still being written and no revoke or assign has happened since (``PlanBasis``).
///   Everything else is read from the database, which another worker may have changed.
final class BatchPipeline: Sendable {
    let configuration: ContactWorkerService.Configuration
    let consumer: KafkaConsumer
    let store: any ContactStore
    let processor: CommandBatchProcessor
    let publisher: OutboxPublisher
    let ownership: PartitionOwnership
    let shutdown: ShutdownProgress
    let retrier: Retrier
    let clock: WorkerClock
    let observer: any WorkerObserver
    let logger: Logger
    /// Receives the fatal errors met while retrying (the idempotent producer fenced, say): no
    /// retry can help, so the service stops the worker.
    let fatal: @Sendable (String) -> Void
    /// The partitions whose batches left rows pending: until those rows are out, no later batch
    /// of the partition may publish its own rows past them (see ``publish(_:)``).
    private let rowsLeftPending = Mutex(RowsLeftPending())

    init(
        configuration: ContactWorkerService.Configuration, consumer: KafkaConsumer, store: any ContactStore,
        processor: CommandBatchProcessor, publisher: OutboxPublisher, ownership: PartitionOwnership,
        shutdown: ShutdownProgress,
        retrier: Retrier, clock: WorkerClock, observer: any WorkerObserver, logger: Logger,
        fatal: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.consumer = consumer
        self.store = store
        self.processor = processor
        self.publisher = publisher
        self.ownership = ownership
        self.shutdown = shutdown
        self.retrier = retrier
        self.clock = clock
        self.observer = observer
        self.logger = logger
        self.fatal = fatal
    }

    /// A batch on its way through the pipeline.
    private struct InFlight {
        /// Ends when the batch's transaction did (or it was abandoned or found unprocessable);
        /// true when the transaction wrote exactly ``plan``.
        var written: Task<Bool, Never>
        /// Ends when the batch is published and its ticket ended.
        var finished: Task<Void, Never>
        /// What the batch was planned to write, when the loop planned it (nil when its commit
        /// plans for itself).
        var basis: PlanBasis?
    }

    /// Consumes batches in order, three at a time: while batch N is published, batch N+1 is
    /// written and batch N+2 is planned on top of what N+1 will write (the store does not have it
    /// yet). Planning ahead is for full batches only (``Configuration/planAheadMinimum``): after
    /// a small batch the loop waits for its write before taking the next one.
    ///
    /// Each stage keeps batch order: a batch is written after the one before it was, and its rows
    /// are handed to the producer only after the previous batch's were delivered, so each
    /// contact's events and results reach Kafka in command order. When a batch is not written as
    /// planned (a retry re-planned it, or it failed), the plan made on top of it is discarded and
    /// the next batch is planned again once everything before it is finished. What may be carried
    /// from one plan to the next is ``PlanBasis``'s rule.
    func consumeLoop() async {
        var previous: InFlight?
        // Batches not yet published, oldest first. At most three: when publishing stalls (a
        // broker outage) the loop stops taking batches instead of writing and holding ever more,
        // and a revoke never waits for more than three.
        var unpublished: [Task<Void, Never>] = []
        for await messages in consumer.batches {
            // Partition ends mean nothing to the worker; with KAFKA_ENABLE_PARTITION_EOF=true they
            // would pile up untaken (and come with empty batches).
            _ = consumer.takePartitionEvents()
            guard !messages.isEmpty else { continue }
            while unpublished.count >= 3 { await unpublished.removeFirst().value }
            let ticket = ownership.begin(messages)
            var plan: CommandBatchProcessor.Plan?
            var planned: ContinuousClock.Instant?
            let started = ContinuousClock.now
            let firstOffset = ticket.messages.first.map { "\($0.topicPartition)@\($0.offset)" } ?? "-"
            var generation = ownership.generation
            if ticket.messages.count >= configuration.planAheadMinimum,
                let unwritten = previous?.basis?.unwritten(generation: generation)
            {
                // A failure here only means planning again below, once the previous batch is written.
                plan = try? await processor.plan(ticket.messages, now: clock.now(), unwritten: unwritten)
                planned = .now
            }
            if let previous, await !previous.written.value {
                if plan != nil {
                    logger.debug(
                        "previous batch not written as planned; planning this one again",
                        metadata: ["first_offset": "\(firstOffset)"])
                }
                plan = nil
                await previous.finished.value
            }
            if plan != nil, ownership.generation != generation {
                logger.debug(
                    "partitions assigned or revoked while planning ahead; planning this batch again",
                    metadata: ["first_offset": "\(firstOffset)"])
                plan = nil
            }
            if plan == nil, !ticket.messages.isEmpty {
                // Without a plan here, commit() plans (and retries) by itself.
                generation = ownership.generation
                plan = try? await processor.plan(ticket.messages, now: clock.now())
                planned = .now
            }
            let prepared = plan.map { (plan: $0, started: started, planned: planned ?? .now) }
            let basis = plan.map { PlanBasis(batch: $0.batch, generation: generation) }
            let written = Task {
                defer { basis?.writeEnded() }
                return await self.commit(ticket.messages, prepared: prepared)
            }
            let finished = Task { [previousFinished = previous?.finished] in
                let outcome = await written.value.outcome
                await previousFinished?.value
                switch outcome {
                case .committed(let batch): await self.publish(batch)
                case .abandoned: break
                case .unprocessable(let messages, let error): await self.isolateFailure(messages, error: error)
                }
                self.ownership.end(ticket)
            }
            if ticket.messages.count < configuration.planAheadMinimum {
                // Light load: take the next batch only once this one is written and the one
                // before it published, so everything that arrives meanwhile joins it: fewer,
                // larger transactions (measured: lower latency than taking batches early).
                _ = await written.value
                await previous?.finished.value
            }
            previous = InFlight(written: Task { await written.value.asPlanned }, finished: finished, basis: basis)
            unpublished.append(finished)
        }
        await previous?.finished.value
        await publisher.flushAcknowledged(orLog: "the next start publishes them again")
    }

    /// Applies one batch in one store transaction, retrying transient failures with backoff.
    /// The first attempt writes `prepared` when given; every other attempt plans again. Every
    /// attempt first drops the messages of partitions no longer owned (the next owner re-reads
    /// them), and a prepared plan that covered any of them is made again.
    ///
    /// - Returns: the outcome, and whether what was written is exactly `prepared`.
    func commit(
        _ batch: [KafkaMessage],
        prepared: (
            plan: CommandBatchProcessor.Plan, started: ContinuousClock.Instant, planned: ContinuousClock.Instant
        )? = nil
    ) async -> (outcome: CommitOutcome, asPlanned: Bool) {
        var messages = batch
        var prepared = prepared
        var fromPrepared = false
        // Whether an attempt's outcome was unknown (its partitions are marked then).
        var outcomeWasUnknown = false
        let report = Retrier.Report(operation: .batch, context: nil, message: "batch failed; retrying") { error in
            [
                "retriable": "\(Retrier.isRetriable(error))", "messages": "\(messages.count)",
                // Where the batch starts, as separate fields like every other line.
                "topic": "\(messages.first?.topic ?? "-")",
                "partition": "\(messages.first.map { "\($0.partition)" } ?? "-")",
                "offset": "\(messages.first.map { "\($0.offset)" } ?? "-")",
            ]
        }
        let result = await retrier.run(report) { error in
            if case .fenced(_, let topic, let partitions)? = error as? StoreError {
                // Another worker claimed these partitions: nothing of the batch was written, and
                // their commands are the new owner's to decide. The next attempt keeps the
                // messages of the partitions still owned and plans them again.
                dropFenced(topic: topic, partitions: partitions, error: error)
                prepared = nil
                return .retryAtOnce
            }
            let retriable = Retrier.isRetriable(error)
            // Not a passing outage: retrying the same batch would stall its partitions.
            if !retriable && !(error is CancellationError) { return .stop }
            return .retry(retriable ? .warning : .error)
        } _: { () async throws -> CommitOutcome in
            // Checked before every attempt, the first one included. A batch before this one may
            // have given up on some of these partitions (revoked while it waited to retry, or
            // past the shutdown grace); writing this batch's messages of those partitions would
            // store offsets past the ones it gave up on, and they would never be processed. The
            // revoke removed the partitions before that batch saw it, so they are gone here too.
            if shutdown.pastGrace { return .abandoned }
            let owned = ownership.stillOwned(messages)
            if owned.count != messages.count {
                // The plan covered messages that are no longer this worker's: plan again.
                prepared = nil
                messages = owned
            }
            guard !messages.isEmpty else { return .abandoned }
            var started = ContinuousClock.now
            fromPrepared = prepared != nil
            let plan: CommandBatchProcessor.Plan
            let planned: ContinuousClock.Instant
            if let ready = prepared {
                prepared = nil
                (plan, started, planned) = ready
            } else {
                plan = try await processor.plan(messages, now: clock.now())
                planned = .now
            }
            var batch = plan.batch
            batch.offsets = ownership.stampingEpochs(batch.offsets)
            // Rows earlier batches delivered are deleted by this batch's transaction.
            batch.published = publisher.takeAcknowledged()
            // The rows are published as planned, with the sequences beside them: numbering
            // them would copy the batch's outbox, which the plan and its basis share.
            let sequences: [Int64]
            do {
                sequences = try await store.apply(batch)
            } catch {
                publisher.returnAcknowledged(batch.published)
                // A connection lost during COMMIT may still have committed: then the retry
                // finds the commands processed and publishes only duplicates, and the
                // original rows wait in the outbox. The next publish of these partitions takes
                // every pending row in outbox order, so they go out before anything later for
                // their contacts.
                markRowsLeftPending(Set(messages.map(\.topicPartition)))
                outcomeWasUnknown = true
                throw error
            }
            if outcomeWasUnknown {
                // Marked again now that the original rows, if any, are visible: a drain that ran
                // between the failure and this attempt may have cleared the first mark before
                // they were.
                markRowsLeftPending(Set(messages.map(\.topicPartition)))
            }
            return .committed(
                CommittedBatch(
                    rows: batch.outbox, sequences: sequences,
                    offsets: Dictionary(
                        plan.batch.offsets.map { (TopicPartition($0.topic, $0.partition), $0.nextOffset) }
                    ) {
                        max($0, $1)
                    },
                    summary: plan.summary, decisions: plan.decisions, messages: messages, started: started,
                    planned: planned,
                    committed: .now))
        }
        switch result {
        case .success(let outcome):
            if case .committed = outcome { return (outcome, fromPrepared) }
            return (outcome, false)
        case .failure(let error) where error is CancellationError:
            // Cancelled while backing off: the next start re-reads the batch.
            return (.abandoned, false)
        case .failure(let error):
            return (.unprocessable(messages: messages, error: error), false)
        }
    }

    /// Gives up partitions another worker claimed while a batch was written (the store refused
    /// the batch): their messages are not taken again until a rebalance assigns them back.
    func dropFenced(topic: String, partitions: [Int32], error: any Error) {
        let dropped = partitions.map { TopicPartition(topic, $0) }
        ownership.drop(dropped)
        observer.fenced(dropped)
        logger.warning(
            "another worker took over partitions while a batch was written; the batch was refused and is left to it",
            metadata: ["topic": "\(topic)", "partitions": "\(partitions)", "error": "\(error)"])
    }

    /// Records that rows of `partitions` were left pending behind a batch (see ``RowsLeftPending``).
    func markRowsLeftPending(_ partitions: Set<TopicPartition>) {
        rowsLeftPending.withLock { $0.mark(partitions) }
    }

    /// Publishes a committed batch's rows, then stores its offsets for the next Kafka commit.
    ///
    /// Only publishing is retried here: the store already knows the batch's commands, so
    /// re-planning it would publish them as duplicates and strand the originals in the outbox.
    /// If a rebalance takes any of the batch's partitions meanwhile, the rows are left pending:
    /// the assignment that follows publishes them (a revoke must not wait on a broker outage).
    ///
    /// A batch of a partition that such an abandoned batch left rows of publishes every pending
    /// row of its partitions, in outbox order, instead of only its own: its rows must not reach
    /// Kafka before the earlier batch's rows for the same contacts (events per contact stay in
    /// order; what the next owner also publishes is a duplicate with the same id). If it no
    /// longer owns such a partition, it publishes nothing and its rows wait with the earlier ones
    /// for the partition's next owner, which publishes them all on assignment: the revoke waits
    /// for this batch, so they are written by then. A batch with nothing left behind for its
    /// partitions publishes its rows even once revoked, for the same reason.
    func publish(_ batch: CommittedBatch) async {
        let partitions = Set(batch.offsets.keys)
        let publishing = ContinuousClock.now
        do {
            try await retrying(
                .publish, "publishing a committed batch", giveUpWhen: { !self.ownership.ownsAll(partitions) }
            ) {
                let (leftBehind, through) = self.rowsLeftPending.withLock { $0.leftBehind(among: partitions) }
                guard !leftBehind.isEmpty else {
                    return try await self.publisher.publish(batch.rows, sequences: batch.sequences, deferMarking: true)
                }
                guard self.ownership.ownsAll(leftBehind) else {
                    // The earlier rows are the next owner's to send first: it drains them on assign.
                    self.logger.notice(
                        "rows of an earlier batch are pending for revoked partitions; leaving this batch's rows to the next owner too",
                        metadata: ["partitions": "\(leftBehind.map(\.description).sorted())"])
                    throw CancellationError()
                }
                let commands = self.configuration.topics.commands
                _ = try await self.publisher.drain(
                    sourcePartitions: Set(partitions.filter { $0.topic == commands }.map(\.partition)))
                self.rowsLeftPending.withLock { $0.published(partitions, through: through) }
            }
        } catch {
            // Cancelled or revoked: the rows stay pending and are published by the next owner or start.
            markRowsLeftPending(partitions)
            return
        }
        do {
            try consumer.storeOffsets(batch.offsets)
        } catch {
            // The database has the offsets; Kafka's copy only lags.
            logger.warning("could not store offsets for commit", metadata: ["error": "\(error)"])
        }
        let duration = ContinuousClock.now - batch.started
        observer.batchProcessed(batch.summary, messages: batch.messages, duration: duration)
        for decision in batch.decisions { decision.log(to: logger) }
        logger.debug(
            "batch processed",
            metadata: [
                "messages": "\(batch.messages.count)", "applied": "\(batch.summary.applied)",
                "duplicates": "\(batch.summary.duplicates)", "rejected": "\(batch.summary.rejected)",
                "dead_lettered": "\(batch.summary.deadLettered)", "duration": "\(duration)",
                "plan": "\(batch.planned - batch.started)", "store": "\(batch.committed - batch.planned)",
                "queued": "\(publishing - batch.committed)",
                "publish": "\(ContinuousClock.now - publishing)",
            ])
    }

    /// Runs `body` until it succeeds, with backoff. Throws `CancellationError` when cancelled,
    /// past the shutdown grace, or when `giveUpWhen` became true after a failure; throws a fatal
    /// Kafka error after reporting it (``fatal``), since no retry can help.
    func retrying<T: Sendable>(
        _ operation: RetriedOperation, _ what: String, giveUpWhen giveUp: @Sendable () -> Bool = { false },
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        var givenUp = false
        let report = Retrier.Report(operation: operation, context: what, message: "\(what) failed; retrying")
        let result = await retrier.run(report) { error in
            if error is CancellationError { return .stop }
            if let error = error as? KafkaError, error.isFatal {
                fatal("\(what): \(error)")
                return .stop
            }
            if shutdown.pastGrace {
                logger.notice(
                    "\(what) failed after the shutdown grace; leaving it to the next start",
                    metadata: ["error": "\(error)"])
                givenUp = true
                return .stop
            }
            if giveUp() {
                logger.notice(
                    "\(what) failed and its partitions were revoked; leaving it to the next owner",
                    metadata: ["error": "\(error)"])
                givenUp = true
                return .stop
            }
            return .retry(.warning)
        } _: {
            // Past the shutdown grace a new attempt would only wait for the broker again.
            if shutdown.pastGrace { throw CancellationError() }
            return try await body()
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw givenUp ? CancellationError() : error
        }
    }
}
