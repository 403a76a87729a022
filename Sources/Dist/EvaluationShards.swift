/// Evaluation split over ranks, with exact metrics: positions 0..<N (of whatever order the
/// evaluator walks) are dealt out strided, rank r taking r, r + W, r + 2W, ..., padded to
/// equal length ceil(N / W) with repeats of position N - 1; the per-example results are then
/// gathered and the padding dropped, giving exactly the N results of a single process, in
/// position order. Strided (not contiguous) shards keep the work balanced when the order is
/// sorted by length.
///
/// Batches: if every rank evaluates its positions in chunks of E / W, the chunks number j of
/// all ranks together are positions j*E ..< (j+1)*E, the single-process batch j of size E
/// (the padding, a repeat of N - 1, falls in the last batch, which holds N - 1 too). So a
/// batch-level statistic reduced over ranks (Q8BERT's dynamic max|x| through
/// `MPIRangeReducer`) equals the single process's; every rank runs the same number of
/// batches, so such per-batch collectives match up.
///
/// Legend: N positions, W ranks, n = ceil(N / W) positions per rank, k values per example.
public struct EvaluationShards: Sendable, Equatable {
    /// N.
    public let count: Int
    /// W.
    public let worldSize: Int
    /// r.
    public let rank: Int

    public init(count: Int, worldSize: Int, rank: Int) throws {
        guard count >= 0 else { throw DistError.invalidArgument(what: "evaluation size", value: count) }
        guard worldSize >= 1 else { throw DistError.invalidArgument(what: "world size", value: worldSize) }
        guard (0..<worldSize).contains(rank) else { throw DistError.invalidArgument(what: "rank", value: rank) }
        self.count = count; self.worldSize = worldSize; self.rank = rank
    }

    public init(count: Int, communicator: Communicator) throws {
        try self.init(count: count, worldSize: communicator.size, rank: communicator.rank)
    }

    /// n = ceil(N / W), the same on every rank.
    public var shardLength: Int { (count + worldSize - 1) / worldSize }

    /// This rank's positions [n]: rank + W*j, or N - 1 (a repeat) past the end.
    public var positions: [Int] {
        (0..<shardLength).map { j in min(rank + worldSize * j, count - 1) }
    }

    /// Which of `positions` are padding [n].
    public var isPadding: [Bool] { (0..<shardLength).map { rank + worldSize * $0 >= count } }

    /// Real positions on this rank.
    public var realCount: Int { isPadding.lazy.filter { !$0 }.count }

    /// Puts rank-major gathered results [W * n * k] back into position order, padding
    /// dropped [N * k].
    public func assemble(_ gathered: [Float], valuesPerExample k: Int) throws -> [Float] {
        let n = shardLength
        guard gathered.count == worldSize * n * k else {
            throw DistError.countMismatch(what: "gathered evaluation results", expected: worldSize * n * k,
                                          actual: gathered.count)
        }
        var out = [Float](repeating: 0, count: count * k)
        for r in 0..<worldSize {
            for j in 0..<n {
                let p = r + worldSize * j
                guard p < count else { break }
                for v in 0..<k { out[p * k + v] = gathered[(r * n + j) * k + v] }
            }
        }
        return out
    }

    /// Gathers this rank's results [n * k] (one row of k values per entry of `positions`)
    /// to `root`: there, all N results in position order [N * k]; nil elsewhere.
    public func gather(_ local: [Float], valuesPerExample k: Int, communicator: Communicator,
                       root: Int = 0) throws -> [Float]? {
        try checkLocal(local, k)
        guard let all = try communicator.gather(floats: local, root: root) else { return nil }
        return try assemble(all, valuesPerExample: k)
    }

    /// The same, with the results on every rank.
    public func allgather(_ local: [Float], valuesPerExample k: Int, communicator: Communicator) throws -> [Float] {
        try checkLocal(local, k)
        return try assemble(try communicator.allgather(floats: local), valuesPerExample: k)
    }

    private func checkLocal(_ local: [Float], _ k: Int) throws {
        guard local.count == shardLength * k else {
            throw DistError.countMismatch(what: "local evaluation results", expected: shardLength * k, actual: local.count)
        }
    }
}
