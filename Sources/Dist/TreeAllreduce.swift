import Tensor

/// A reduction in flight that the gradient reducer drives: MPI's own allreduce
/// (`Communicator.Request`) or the deterministic `TreeAllreduce`.
protocol PendingReduction: AnyObject {
    /// Progresses the reduction; true once its buffer holds the result. Never blocks.
    func test() throws -> Bool
    /// Blocks until the reduction has finished.
    func wait() throws
}

extension Communicator.Request: PendingReduction {}

/// p[0..<n] <- the sum over ranks, added in a fixed order: the continuation over ranks of
/// RowGroups' tree (Tensor/RowGroups.swift), so that a W-rank run adds exactly what a single
/// process adds over the same groups, and the result does not depend on W.
///
/// Recursive halving, then recursive doubling (W = 2^k ranks):
///   reduce, partner distance d = W/2, W/4, ..., 1: the range held splits in halves; the
///     rank whose bit d is 0 keeps the lower half, sends the upper one to rank ^ d, receives
///     the partner's lower half into scratch and adds it (a + b = b + a: both ranks of a
///     pair compute the same bits). After k stages each rank holds one reduced piece.
///   gather, d = 1, 2, ..., W/2: the pieces are exchanged back, plain copies.
/// Rank r enters with its local sum over groups r, r + W, ...; the stage with distance d
/// adds the sums of groups g and g + d: the tree levels below those RowGroups.combine
/// adds within a process. Traffic per rank 2 (W - 1) / W n floats, as a ring allreduce.
///
/// Non-blocking: each `test()` checks the current stage and, when it has completed, adds
/// and posts the next one. Every rank must start its reductions in the same order with the
/// same `tag`s (messages are matched by partner and tag).
final class TreeAllreduce: PendingReduction {
    private let communicator: Communicator
    private let p: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    private let tag: Int
    private let rank: Int, size: Int, levels: Int
    /// The stage in progress: 0..<levels reduce, levels..<2 levels gather, 2 levels done.
    private var stage = 0
    private var pending: Communicator.Request?
    /// The range held now, and the split of each reduce stage (for the gather).
    private var held: Range<Int>
    private var splits: [(whole: Range<Int>, kept: Range<Int>, given: Range<Int>)] = []

    /// Stages used per reduction (tags tag ..< tag + stagesPerReduction(W) are taken).
    static func stages(worldSize: Int) -> Int { 2 * worldSize.trailingZeroBitCount }

    /// Scratch floats a reduction of n floats needs.
    static func scratchCount(_ n: Int) -> Int { n / 2 + 1 }

    /// Starts the reduction of p[0..<count]; `scratch` holds at least scratchCount(count)
    /// floats; both stay MPI's until it completes.
    init(communicator: Communicator, _ p: UnsafeMutablePointer<Float>, count: Int,
         scratch: UnsafeMutablePointer<Float>, tag: Int) throws {
        let w = communicator.size
        precondition(w >= 1 && w & (w - 1) == 0, "TreeAllreduce: world size \(w) is not a power of two")
        self.communicator = communicator
        self.p = p; self.scratch = scratch; self.tag = tag
        rank = communicator.rank; size = w; levels = w.trailingZeroBitCount
        held = 0..<count
        try post()
    }

    var isComplete: Bool { stage == 2 * levels }

    func test() throws -> Bool {
        while !isComplete {
            guard let pending, try pending.test() else { return false }
            try advance()
        }
        return true
    }

    func wait() throws {
        while !isComplete {
            try pending?.wait()
            try advance()
        }
    }

    /// Partner distance of a stage.
    private func distance(_ s: Int) -> Int {
        s < levels ? size >> (s + 1) : 1 << (s - levels)
    }

    /// Posts the exchange of the current stage.
    private func post() throws {
        guard !isComplete else { pending = nil; return }
        let d = distance(stage), partner = rank ^ d
        if stage < levels {
            let mid = held.lowerBound + held.count / 2
            let lower = held.lowerBound..<mid, upper = mid..<held.upperBound
            let (kept, given) = rank & d == 0 ? (lower, upper) : (upper, lower)
            splits.append((held, kept, given))
            pending = try communicator.exchange(send: p + given.lowerBound, sendCount: given.count,
                                                receive: scratch, receiveCount: kept.count,
                                                partner: partner, tag: tag + stage)
        } else {
            let split = splits[2 * levels - 1 - stage]
            pending = try communicator.exchange(send: p + split.kept.lowerBound, sendCount: split.kept.count,
                                                receive: p + split.given.lowerBound, receiveCount: split.given.count,
                                                partner: partner, tag: tag + stage)
        }
    }

    /// The current stage's messages have arrived: add (reduce) or widen (gather), go on.
    private func advance() throws {
        if stage < levels {
            let kept = splits[stage].kept
            add(out: p + kept.lowerBound, p + kept.lowerBound, scratch, count: kept.count)
            held = kept
        } else {
            held = splits[2 * levels - 1 - stage].whole
        }
        stage += 1
        try post()
    }
}
