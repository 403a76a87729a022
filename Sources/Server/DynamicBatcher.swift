import ModelFormat
import Foundation
import Runtime

/// Dynamic batching in front of the int8 model: requests from any task queue their sequences
/// here; one dedicated worker thread, the only user of the model, takes them in arrival order
/// and runs them together in one int8 forward.
///
/// The worker's rule:
/// 1. sleep until a sequence is waiting;
/// 2. wait until `maxBatch` sequences are waiting or the oldest has waited `maxWait`;
/// 3. take the oldest sequences: all of them up to `maxBatch`, or, when more are waiting (a
///    backlog), up to `lookahead` batches' worth;
/// 4. sort what it took by token count and run it in slices of at most `maxBatch`, each one
///    forward padded to its longest (sorting keeps similar lengths together, less padding);
/// 5. after each forward, give every request whose sequences are all done its predictions,
///    in its own input order.
///
/// The forward is synchronous CPU work on `Parallel`'s threads, so it runs on this thread,
/// never on a Swift concurrency or NIO event-loop thread; callers await a continuation.
/// At most `maxQueue` sequences wait at once; beyond that `predict` fails at once with
/// `BatcherError.queueFull` (HTTP 503) instead of growing memory and latency without bound.
public final class DynamicBatcher: @unchecked Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Sequences per forward, at most.
        public var maxBatch: Int
        /// How long the oldest waiting sequence may wait for others before its batch runs.
        public var maxWait: Duration
        /// Sequences waiting, at most (requests beyond it are refused).
        public var maxQueue: Int
        /// Batches' worth of waiting sequences sorted together when there is a backlog.
        public var lookahead: Int

        public init(maxBatch: Int = 32, maxWait: Duration = .milliseconds(5), maxQueue: Int = 4096, lookahead: Int = 4) {
            self.maxBatch = max(1, maxBatch)
            self.maxWait = max(.zero, maxWait)
            self.maxQueue = max(1, maxQueue)
            self.lookahead = max(1, lookahead)
        }
    }

    /// Counts since start, for tests and logs.
    public struct Statistics: Sendable, Equatable {
        /// Forwards run.
        public var batches = 0
        /// Sequences run.
        public var sequences = 0
        /// The largest number of sequences in one forward.
        public var largestBatch = 0

        public init(batches: Int = 0, sequences: Int = 0, largestBatch: Int = 0) {
            self.batches = batches
            self.sequences = sequences
            self.largestBatch = largestBatch
        }
    }

    public let configuration: Configuration
    private let predictor: BatchPredictor  // used on the worker thread only
    private let metrics: ServerMetrics?

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Item] = []
    private var head = 0  // queue[head...] are waiting
    private var state = State.running
    private var stats = Statistics()
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var nextSequence = 0

    private enum State { case running, stopping, stopped }

    /// One waiting sequence: its request and its index there.
    private struct Item {
        let job: Job
        let index: Int
        let tokens: Int
        let arrival: Int  // arrival order, the tie-break of the length sort
        let enqueued: Date
    }

    /// One `predict` call: its encodings, the predictions so far and its continuation.
    /// Touched by the caller only before it is queued, then by the worker only.
    private final class Job: @unchecked Sendable {
        let encodings: [Encoding]
        var results: [Prediction?]
        var remaining: Int
        var failed = false
        let continuation: CheckedContinuation<[Prediction], any Error>

        init(_ encodings: [Encoding], _ continuation: CheckedContinuation<[Prediction], any Error>) {
            self.encodings = encodings
            results = Array(repeating: nil, count: encodings.count)
            remaining = encodings.count
            self.continuation = continuation
        }
    }

    /// Starts the worker thread. The predictor's model must not be used by anyone else from now on.
    public init(predictor: BatchPredictor, configuration: Configuration = Configuration(), metrics: ServerMetrics? = nil) {
        self.predictor = predictor
        self.configuration = configuration
        self.metrics = metrics
        let thread = Thread { [self] in workerLoop() }
        thread.name = "q8serve-batcher"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Predictions for `encodings` (unpadded, from the model's `SequenceEncoder`), in their order,
    /// once the batches holding them have run.
    public func predict(_ encodings: [Encoding]) async throws -> [Prediction] {
        guard !encodings.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            let waiting = queue.count - head
            guard state == .running else {
                condition.unlock()
                continuation.resume(throwing: BatcherError.stopped)
                return
            }
            guard waiting + encodings.count <= configuration.maxQueue else {
                condition.unlock()
                continuation.resume(throwing: BatcherError.queueFull(waiting: waiting, limit: configuration.maxQueue))
                return
            }
            let job = Job(encodings, continuation)
            let now = Date()
            for (i, e) in encodings.enumerated() {
                queue.append(Item(job: job, index: i, tokens: e.count, arrival: nextSequence, enqueued: now))
                nextSequence &+= 1
            }
            metrics?.queueDepth.set(Double(queue.count - head))
            condition.signal()
            condition.unlock()
        }
    }

    public var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Sequences waiting now.
    public var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    public var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state == .running
    }

    /// Refuses new work, runs what is queued (without waiting for more), stops the worker and
    /// returns once it has stopped. Safe to call more than once.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if state == .stopped {
                condition.unlock()
                continuation.resume()
                return
            }
            state = .stopping
            stopWaiters.append(continuation)
            condition.broadcast()
            condition.unlock()
        }
    }

    // MARK: The worker

    private func workerLoop() {
        condition.lock()
        while true {
            while queue.count == head && state == .running { condition.wait() }
            if queue.count == head { break }  // stopping, and nothing left
            // Wait for a full batch or the oldest sequence's deadline (not when stopping).
            let deadline = queue[head].enqueued.addingTimeInterval(configuration.maxWait.seconds)
            while queue.count - head < configuration.maxBatch && state == .running && Date() < deadline {
                _ = condition.wait(until: deadline)
            }
            let waiting = queue.count - head
            let take = waiting <= configuration.maxBatch
                ? waiting : min(waiting, configuration.maxBatch * configuration.lookahead)
            let window = Array(queue[head..<(head + take)])
            head += take
            if head == queue.count || head >= 4096 {  // drop what was taken, now and then
                queue.removeFirst(head)
                head = 0
            }
            metrics?.queueDepth.set(Double(queue.count - head))
            condition.unlock()
            run(window)
            condition.lock()
        }
        state = .stopped
        let waiters = stopWaiters
        stopWaiters = []
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `window` in length-sorted slices of at most `maxBatch` and completes finished jobs.
    private func run(_ window: [Item]) {
        let sorted = window.filter { !$0.job.failed }.sorted { ($0.tokens, $0.arrival) < ($1.tokens, $1.arrival) }
        var start = 0
        while start < sorted.count {
            let slice = sorted[start..<min(start + configuration.maxBatch, sorted.count)]
            start += slice.count
            let live = slice.filter { !$0.job.failed }
            guard !live.isEmpty else { continue }
            let began = ContinuousClock.now
            var finished: [Job] = []
            do {
                let predictions = try predictor.predictBatch(live.map { $0.job.encodings[$0.index] })
                for (item, prediction) in zip(live, predictions) {
                    item.job.results[item.index] = prediction
                    item.job.remaining -= 1
                    if item.job.remaining == 0 { finished.append(item.job) }
                }
            } catch {
                for item in live where !item.job.failed {
                    item.job.failed = true
                    item.job.continuation.resume(throwing: error)
                }
            }
            metrics?.forwardDuration.record(ContinuousClock.now - began)
            metrics?.batchSize.record(Double(live.count))
            metrics?.sequences.increment(by: Int64(live.count))
            metrics?.tokens.increment(by: Int64(live.map(\.tokens).reduce(0, +)))
            metrics?.paddedTokens.increment(by: Int64((live.map(\.tokens).max() ?? 0) * live.count))
            condition.lock()
            stats.batches += 1
            stats.sequences += live.count
            stats.largestBatch = max(stats.largestBatch, live.count)
            condition.unlock()
            for job in finished { job.continuation.resume(returning: job.results.map { $0! }) }
        }
    }
}

/// Why the batcher did not take a request.
public enum BatcherError: Error, Equatable, CustomStringConvertible {
    /// Too many sequences are waiting already.
    case queueFull(waiting: Int, limit: Int)
    /// The server is shutting down.
    case stopped

    public var description: String {
        switch self {
        case .queueFull(let waiting, let limit):
            return "server busy: \(waiting) sequences are waiting (limit \(limit)); retry later"
        case .stopped:
            return "server is shutting down"
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
