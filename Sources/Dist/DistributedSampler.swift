import Tensor

/// Which training examples each rank takes at each step: PyTorch's DistributedSampler
/// (a permutation seeded by seed and epoch, the same on every rank, padded to a multiple of
/// the world size W, rank r taking indices[r::W]) followed by batching with the local batch
/// size G / W, defined so that the training does not depend on W.
///
/// Legend: N examples, W ranks, G global batch size (a multiple of W), b = G / W local
/// batch size, perm the epoch's permutation of 0..<N.
///
/// Rank independence, precisely:
/// 1. perm is a function of (seed, epoch) only (Fisher-Yates over SplitMix64 seeded by
///    hashKey(seed, epoch, 0x5A3B1E, 0)), independent of W and r; the single-process
///    trainer is the W = 1 case of this sampler.
/// 2. The padded order is perm followed by P - N repeated examples, P = ceil(N / W) * W.
///    Rank r's list is padded[r::W] and its step-s batch is that list's items
///    s*b ..< (s+1)*b. Equivalently: rank r takes positions s*G + r + W*k (k = 0..<b) of
///    the padded order, so the step-s batches of all ranks together are exactly the
///    positions s*G ..< min((s+1)*G, P): each position taken once, by one rank.
/// 3. Every step but the last therefore holds exactly perm[s*G ..< (s+1)*G], the batch a
///    single process takes at step s; the number of steps, ceil(N / G), is the same too.
/// 4. The last step holds the single-process batch perm[s*G ..< N] (m examples) plus up to
///    W - 1 padding positions. With `.withinStep` (default) padding repeats examples of that
///    same step (perm[s*G + j % m]), so it adds no example the single process would not
///    see in that step (a max over the batch, as Q8BERT's max|x|, is unchanged); with
///    `.fromEpochStart` it repeats perm[0...] as PyTorch does.
/// 5. `exampleWeights` are 0 for padding and W * b_s / m for real examples (b_s the step's
///    local batch size): multiply each example's row of dLogits (from a loss averaged over
///    the local batch) by it, and after the reducer's average over W the gradient is the
///    single-process mean over the m real examples. In full steps every weight is 1.
/// 6. Deterministic reduction (G reduction groups, G > 1): P is a multiple of G (so the
///    padded order, and every step's global batch, is the same for every W dividing G),
///    position p of a step belongs to group p % G, and rank r's batch lists its examples
///    grouped: its m = G / W local groups (global groups r, r + W, ...), each contiguous,
///    positions ascending within a group. The model sums gradients per group in RowGroups'
///    fixed tree and TreeAllreduce continues that tree over ranks: bitwise W-independent.
/// Without it, what remains rank-dependent is floating-point summation order (an allreduce sums in a
/// different order than one GEMM over the whole batch), and anything the model computes
/// over a batch's padded token positions: with dynamic padding each rank pads to its own
/// longest example, so a max|x| that includes padded positions can differ (pad to a fixed
/// length, or exclude padding from the max, for exactness). Dropout is keyed by dataset
/// index (`Batch.exampleIndices`), so it does not depend on W.
public struct DistributedSampler: Sendable {
    /// What fills the padded positions (at most W - 1 of them, all in the last step).
    public enum Padding: Sendable, Equatable {
        /// Examples of the last step itself, from its start: rank-independent (default).
        case withinStep
        /// perm[0], perm[1], ...: PyTorch's `indices += indices[:padding_size]`.
        case fromEpochStart
    }

    /// One rank's share of one step.
    public struct LocalBatch: Sendable, Equatable {
        public let step: Int
        /// Dataset indices [b_s] (b_s = G / W except possibly in the last step).
        public let indices: [Int]
        /// Which of them are padding [b_s] (repeats that must not count).
        public let isPadding: [Bool]
        /// m, the real examples of this step over all ranks: the single-process batch size.
        public let globalCount: Int
        /// Loss weight per example [b_s]: 0 for padding, W * b_s / m otherwise (see 5. above).
        public let exampleWeights: [Float]
        /// Local row groups of the deterministic reduction (G / W; 1 without it): `indices`
        /// is that many equal contiguous groups.
        public var groups: Int = 1
        /// Dataset indices of the whole step over all ranks, padding included (a rank pads
        /// its batch to the longest of them, so that every rank sees the same shapes).
        public var stepIndices: [Int] = []
        /// Real (non-padding) examples on this rank.
        public var realCount: Int { isPadding.lazy.filter { !$0 }.count }
    }

    /// N, the dataset size.
    public let count: Int
    /// W.
    public let worldSize: Int
    /// r.
    public let rank: Int
    /// G, examples per step over all ranks.
    public let globalBatchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let padding: Padding
    /// G, the reduction groups (1: no deterministic reduction).
    public let reductionGroups: Int

    public init(count: Int, worldSize: Int, rank: Int, globalBatchSize: Int, seed: UInt64,
                shuffle: Bool = true, padding: Padding = .withinStep, reductionGroups: Int = 1) throws {
        guard count >= 0 else { throw DistError.invalidArgument(what: "dataset size", value: count) }
        guard worldSize >= 1 else { throw DistError.invalidArgument(what: "world size", value: worldSize) }
        guard (0..<worldSize).contains(rank) else { throw DistError.invalidArgument(what: "rank", value: rank) }
        guard globalBatchSize >= 1 else {
            throw DistError.invalidArgument(what: "global batch size", value: globalBatchSize)
        }
        guard globalBatchSize % worldSize == 0 else {
            throw DistError.batchSizeNotDivisible(globalBatchSize: globalBatchSize, worldSize: worldSize)
        }
        let g = reductionGroups
        if g != 1 {
            guard g > 1, g & (g - 1) == 0, g % worldSize == 0, globalBatchSize % g == 0 else {
                throw DistError.reductionGroups(groups: g, worldSize: worldSize, globalBatchSize: globalBatchSize)
            }
        }
        self.reductionGroups = g
        self.count = count; self.worldSize = worldSize; self.rank = rank
        self.globalBatchSize = globalBatchSize; self.seed = seed; self.shuffle = shuffle; self.padding = padding
    }

    /// The same sampler for a communicator's rank and size.
    public init(count: Int, communicator: Communicator, globalBatchSize: Int, seed: UInt64,
                shuffle: Bool = true, padding: Padding = .withinStep, reductionGroups: Int = 1) throws {
        try self.init(count: count, worldSize: communicator.size, rank: communicator.rank,
                      globalBatchSize: globalBatchSize, seed: seed, shuffle: shuffle, padding: padding,
                      reductionGroups: reductionGroups)
    }

    /// b = G / W, the local batch size of every full step.
    public var localBatchSize: Int { globalBatchSize / worldSize }
    /// ceil(N / G), the same for every W.
    public var stepsPerEpoch: Int { (count + globalBatchSize - 1) / globalBatchSize }
    /// P = ceil(N / U) * U with U = W, or G with reduction groups.
    public var paddedCount: Int {
        let unit = reductionGroups > 1 ? reductionGroups : worldSize
        return (count + unit - 1) / unit * unit
    }
    /// m = G / W, the local row groups of every batch (1 without reduction groups).
    public var localGroups: Int { reductionGroups > 1 ? reductionGroups / worldSize : 1 }

    /// perm: the epoch's order of 0..<N, identical on every rank and for every W
    /// (0..<N without `shuffle`).
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<count)
        guard shuffle, count > 1 else { return order }
        var rng = SplitMix64(seed: hashKey(seed, UInt64(epoch), 0x5A3B_1E, 0))
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// perm followed by P - N padding examples [P].
    public func paddedOrder(epoch: Int) -> [Int] {
        let perm = permutation(epoch: epoch)
        let extra = paddedCount - count
        guard extra > 0 else { return perm }
        switch padding {
        case .fromEpochStart:
            return perm + (0..<extra).map { perm[$0 % count] }
        case .withinStep:
            let lastStart = (stepsPerEpoch - 1) * globalBatchSize, m = count - lastStart
            return perm + (m..<(m + extra)).map { perm[lastStart + $0 % m] }
        }
    }

    /// PyTorch's view: this rank's examples for the epoch, padded[r::W] [P / W].
    public func indices(epoch: Int) -> [Int] {
        Array(paddedOrder(epoch: epoch).enumerated().lazy.filter { $0.offset % worldSize == rank }.map(\.element))
    }

    /// This rank's batches for the epoch, in step order [stepsPerEpoch].
    public func batches(epoch: Int) -> [LocalBatch] {
        let order = paddedOrder(epoch: epoch)
        return (0..<stepsPerEpoch).map { batch(step: $0, paddedOrder: order) }
    }

    /// This rank's batch at step `step` (0..<stepsPerEpoch) of `epoch`.
    public func batch(step: Int, epoch: Int) -> LocalBatch {
        batch(step: step, paddedOrder: paddedOrder(epoch: epoch))
    }

    /// This rank's batch at `step`, given `paddedOrder(epoch:)` (computed once per epoch).
    public func batch(step: Int, paddedOrder order: [Int]) -> LocalBatch {
        precondition((0..<stepsPerEpoch).contains(step), "DistributedSampler: step \(step) outside 0..<\(stepsPerEpoch)")
        precondition(order.count == paddedCount, "DistributedSampler: padded order has \(order.count) entries, not \(paddedCount)")
        let start = step * globalBatchSize
        let end = min(start + globalBatchSize, paddedCount)
        var positions = Array(stride(from: start + rank, to: end, by: worldSize))
        let groups = localGroups
        if groups > 1 {  // local k is in group k % m: the groups one after the other
            let k = positions.count
            positions = (0..<groups).flatMap { q in stride(from: q, to: k, by: groups).map { positions[$0] } }
        }
        let m = min(globalBatchSize, count - start)
        let isPadding = positions.map { $0 >= count }
        let weight = Float(worldSize * positions.count) / Float(m)
        var local = LocalBatch(step: step, indices: positions.map { order[$0] }, isPadding: isPadding,
                               globalCount: m, exampleWeights: isPadding.map { $0 ? 0 : weight })
        local.groups = groups
        local.stepIndices = Array(order[start..<end])
        return local
    }
}
