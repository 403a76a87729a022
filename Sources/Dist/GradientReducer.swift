import Foundation
import Tensor

/// The data-parallel gradient reducer (PyTorch DDP's Reducer, Horovod's fusion buffer):
/// averages the flat gradient buffer over all ranks, overlapping the communication of the
/// layers backward has finished with the backward of the layers below them.
///
/// Per step:
///
///     model.zeroGradients()
///     model.backward(layerDone: reducer.layerDone,   // starts buckets as layers finish
///                    progress: reducer.poll)         // pushes them on between GEMMs
///     try reducer.finish()                           // waits; gradients = mean over ranks
///     clip, optimizer update (identical on every rank)
///
/// With one rank it does nothing (the sum over one rank is the gradient itself).
/// Not thread-safe: call from the thread that runs backward. Between the first `layerDone`
/// and `finish()` the gradient buffer belongs to MPI: only backward's writes to layers not
/// yet reported may touch it. With gradient accumulation, pass the hook only to the last
/// micro-batch's backward (DDP's `no_sync`); `layerDone` must see L, L-1, ..., -1 once per
/// step. A failed MPI call ends the whole job (`Communicator.abortJob`): the others may be
/// waiting for this rank's part of a bucket.
public final class GradientReducer {
    /// Communication counters, cumulative over steps unless named `last...`.
    public struct Statistics: Sendable, Equatable {
        /// Calls of `finish()` and `allreduceAll()`.
        public var steps = 0
        /// Bytes of gradient reduced (each rank's contribution, gaps included; a row-sparse
        /// bucket counts its packed rows and the row ids this rank sent).
        public var bytesReduced = 0
        /// The same for the last step.
        public var lastBytesReduced = 0
        /// Rows in the last step's union, per row-sparse bucket (nil: exchanged dense).
        public var lastSparseRows: [Int?] = []
        /// Seconds spent in `prepareRows` (the row-id allgathers), cumulative and last step.
        public var rowIdSeconds = 0.0
        public var lastRowIdSeconds = 0.0
        /// Seconds spent inside `finish()` / `allreduceAll()`: communication that did not
        /// overlap with backward, plus the averaging.
        public var waitSeconds = 0.0
        /// The same for the last step.
        public var lastWaitSeconds = 0.0
        /// Seconds spent inside `layerDone` (starting buckets, testing them: Open MPI does
        /// the copies and sums of a non-blocking allreduce inside these calls).
        public var hookSeconds = 0.0
        /// The same for the last step.
        public var lastHookSeconds = 0.0
        /// Buckets that had completed before `finish()` was called, in the last step.
        public var lastBucketsDoneBeforeFinish = 0
    }

    public let communicator: Communicator
    public let plan: BucketPlan
    public let gradients: FloatBuffer
    /// Whether to divide the sums by the world size (DDP's average). False if the loss
    /// already carries the 1/W factor.
    public let average: Bool
    /// Whether buckets are summed by TreeAllreduce (a fixed order that continues the model's
    /// RowGroups tree: results bitwise independent of the rank count) instead of MPI's
    /// allreduce. Needs a power-of-two world size.
    public let deterministic: Bool
    public private(set) var statistics = Statistics()
    /// The row-sparse exchange of each bucket that has one (by bucket index).
    public let rowExchanges: [Int: RowSparseExchange]
    /// TreeAllreduce's receive buffer per bucket (deterministic only), allocated once.
    private var scratch: [FloatBuffer] = []

    // Per-step state.
    private var nextBucket = 0                          // the first bucket not started
    private var lowestDoneLayer = Int.max               // the last layerDone report
    private var inFlight: [(bucket: Int, request: PendingReduction)] = []
    private var hookNanoseconds: UInt64 = 0             // inside layerDone this step
    private var rowIdNanoseconds: UInt64 = 0            // inside prepareRows this step
    private var rowIdBytes = 0                          // row ids this rank sent this step
    private var stepBytes = 0                           // gradient bytes started this step

    /// `sparseFraction`: for the plan's row-sparse buckets, the largest union of touched
    /// rows (a fraction of the table's rows) still exchanged by rows; above it, or in a step
    /// without `prepareRows`, the bucket is exchanged dense.
    public init(communicator: Communicator, plan: BucketPlan, gradients: FloatBuffer, average: Bool = true,
                deterministic: Bool = false, sparseFraction: Double = 0.5) throws {
        precondition(gradients.count == plan.count,
                     "GradientReducer: gradient buffer has \(gradients.count) floats, the plan \(plan.count)")
        let w = communicator.size
        if deterministic && w & (w - 1) != 0 {
            throw DistError.invalidArgument(what: "world size for the deterministic reduction (a power of two)", value: w)
        }
        self.communicator = communicator
        self.plan = plan
        self.gradients = gradients
        self.average = average
        self.deterministic = deterministic
        if deterministic && w > 1 {
            scratch = plan.buckets.map { FloatBuffer(count: TreeAllreduce.scratchCount($0.range.count)) }
        }
        guard (0...1).contains(sparseFraction) else {
            throw DistError.invalidArgument(what: "sparse fraction \(sparseFraction) (0...1)", value: 0)
        }
        var exchanges: [Int: RowSparseExchange] = [:]
        if w > 1 {
            for b in plan.buckets { if let t = b.rowSparse {
                exchanges[b.index] = RowSparseExchange(table: t, denseFraction: sparseFraction, deterministic: deterministic)
            } }
        }
        rowExchanges = exchanges
    }

    // The communication loop. Design constraints:
    // 1. Every rank starts the same buckets in the same order (plan order): MPI matches
    //    collectives by order, so any difference would pair different buffers or hang.
    //    The plan is built from the layout alone, and buckets start strictly in plan order.
    // 2. A bucket starts only when backward has reported every layer it covers done
    //    (`layerDone(l)` with l <= its lowest layer); its gradients are then final.
    // 3. No helper thread: Open MPI progresses non-blocking collectives only inside MPI
    //    calls, so each `layerDone` tests every bucket in flight to push them on.
    // 4. The optimizer must not run before every bucket has completed: `finish()` waits
    //    for all, starting any bucket the hook did not (a backward without the hook).
    // 5. Average = sum / world size, applied to each bucket once its sum is complete.
    // 6. With one rank nothing is communicated and nothing scaled.
    // 7. A row-sparse bucket reduces only the union of the rows the ranks touched, packed
    //    (RowSparseExchange), when `prepareRows` ran this step on every rank and the union is
    //    small enough; otherwise it is reduced dense like any other bucket.

    /// Before backward (or forward): the rows of table `name` this rank's batch touches
    /// (`ids`, repeats allowed, `skipping` left out), for the row-sparse bucket of that
    /// table. A collective (allgather of the row ids): every rank calls it at the same point
    /// of every step, or none does. Does nothing with one rank or no such bucket.
    public func prepareRows(of name: String, ids: UnsafeBufferPointer<Int32>, skipping: Int32 = -1) throws {
        guard communicator.size > 1,
              let exchange = rowExchanges.values.first(where: { $0.table.name == name }) else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try exchange.prepare(ids: ids, skipping: skipping, communicator: communicator)
        rowIdNanoseconds += DispatchTime.now().uptimeNanoseconds - t0
        rowIdBytes += 4 * (exchange.localRowCount + 1)
    }

    /// The model's backward hook: layer `layer` (L = head, ..., 0, -1 = embeddings) has
    /// final gradients. Starts every bucket that became ready and progresses those in flight.
    /// A failed MPI call ends the whole job (`Communicator.abortJob`): skipping the step's
    /// later buckets would leave the other ranks waiting in them, and a request in flight
    /// cannot be abandoned.
    public func layerDone(_ layer: Int) {
        precondition(layer < lowestDoneLayer, "GradientReducer: layerDone(\(layer)) after layerDone(\(lowestDoneLayer))")
        lowestDoneLayer = layer
        guard communicator.size > 1 else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { hookNanoseconds += DispatchTime.now().uptimeNanoseconds - t0 }
        do {
            while nextBucket < plan.buckets.count && plan.buckets[nextBucket].isReady(afterLayerDone: layer) {
                try start(nextBucket)
                nextBucket += 1
            }
            try progress()
        } catch {
            communicator.abortJob("gradient allreduce (bucket \(nextBucket) of \(plan.buckets.count)) failed: \(error)")
        }
    }

    /// backward's `progress` hook, between the GEMMs of a layer: tests the buckets in flight
    /// (each test lets MPI advance them by the rounds whose data has arrived). Cheap when
    /// nothing is in flight.
    public func poll() {
        guard !inFlight.isEmpty else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { hookNanoseconds += DispatchTime.now().uptimeNanoseconds - t0 }
        do { try progress() } catch {
            communicator.abortJob("gradient allreduce (progress between layers) failed: \(error)")
        }
    }

    /// Waits until every bucket is reduced; afterwards `gradients` holds the average (or the
    /// sum, without `average`) over ranks, the same on every rank. Resets for the next step.
    public func finish() throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { reset() }
        guard communicator.size > 1 else { return record(since: t0, doneEarly: 0) }
        let doneEarly = nextBucket - inFlight.count
        do {
            while nextBucket < plan.buckets.count {
                try start(nextBucket)
                nextBucket += 1
            }
            for (b, request) in inFlight {
                try request.wait()
                complete(b)
            }
        } catch {
            communicator.abortJob("gradient allreduce (finishing the step's \(plan.buckets.count) buckets) failed: \(error)")
        }
        inFlight = []
        record(since: t0, doneEarly: doneEarly)
    }

    /// The blocking reference: one allreduce over the whole buffer, then the average.
    /// Use after a backward without the hook, instead of `finish()`.
    public func allreduceAll() throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { reset() }
        guard communicator.size > 1 else { return record(since: t0, doneEarly: 0) }
        precondition(inFlight.isEmpty && nextBucket == 0, "GradientReducer: allreduceAll() during a bucketed step")
        if deterministic || rowExchanges.values.contains(where: \.isSparse) {
            for b in plan.buckets.indices {
                try start(b)
                try inFlight.removeLast().request.wait()
                complete(b)
            }
        } else {
            try communicator.allreduceSum(gradients.pointer, count: gradients.count)
            stepBytes = plan.byteCount
            scale(0..<gradients.count)
        }
        record(since: t0, doneEarly: 0)
    }

    /// Starts bucket b's reduction: its range, or, for a row-sparse bucket in a sparse step,
    /// its packed rows.
    private func start(_ b: Int) throws {
        var p = gradients.pointer + plan.buckets[b].range.lowerBound
        var count = plan.buckets[b].range.count
        var treeScratch = scratch.isEmpty ? nil : scratch[b].pointer
        if let exchange = rowExchanges[b], exchange.isSparse {
            exchange.pack(from: gradients.pointer)
            p = exchange.packed.pointer
            count = exchange.packedCount
            treeScratch = exchange.scratch?.pointer
        }
        let request: PendingReduction
        if deterministic {
            request = try TreeAllreduce(communicator: communicator, p, count: count, scratch: treeScratch!, tag: 1000 + 64 * b)
        } else {
            request = try communicator.iallreduceSum(p, count: count)
        }
        stepBytes += count * MemoryLayout<Float>.stride
        inFlight.append((b, request))
    }

    /// Bucket b's sum is complete: the average in place (a sparse bucket's rows back into
    /// the table).
    private func complete(_ b: Int) {
        if let exchange = rowExchanges[b], exchange.isSparse {
            exchange.unpack(into: gradients.pointer, divisor: average ? Float(communicator.size) : 1)
        } else {
            scale(plan.buckets[b].range)
        }
    }

    /// Tests every bucket in flight (each test drives MPI's progress engine) and averages
    /// the ones that completed.
    private func progress() throws {
        var k = 0
        while k < inFlight.count {
            if try inFlight[k].request.test() {
                complete(inFlight[k].bucket)
                inFlight.remove(at: k)
            } else {
                k += 1
            }
        }
    }

    /// g <- g / W over `range` (a completed sum).
    private func scale(_ range: Range<Int>) {
        guard average else { return }
        let w = Float(communicator.size), g = gradients.pointer + range.lowerBound
        Parallel.forEachChunk(range.count, minChunk: 1 << 16) { r in
            for i in r { g[i] /= w }
        }
    }

    private func record(since t0: UInt64, doneEarly: Int) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        statistics.steps += 1
        let bytes = communicator.size > 1 ? stepBytes + rowIdBytes : 0
        statistics.bytesReduced += bytes
        statistics.lastBytesReduced = bytes
        statistics.lastSparseRows = plan.buckets.compactMap { b in
            rowExchanges[b.index].map { $0.isSparse ? $0.union.count : nil }
        }
        statistics.lastRowIdSeconds = Double(rowIdNanoseconds) * 1e-9
        statistics.rowIdSeconds += statistics.lastRowIdSeconds
        statistics.waitSeconds += seconds
        statistics.lastWaitSeconds = seconds
        statistics.lastBucketsDoneBeforeFinish = doneEarly
        statistics.lastHookSeconds = Double(hookNanoseconds) * 1e-9
        statistics.hookSeconds += statistics.lastHookSeconds
    }

    private func reset() {
        precondition(inFlight.isEmpty, "GradientReducer: a step ended with reductions in flight")
        nextBucket = 0
        lowestDoneLayer = .max
        hookNanoseconds = 0
        rowIdNanoseconds = 0
        rowIdBytes = 0
        stepBytes = 0
        for exchange in rowExchanges.values { exchange.reset() }
    }
}
