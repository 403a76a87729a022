import BERT
import Dist
import Foundation
import ModelFormat
import Tensor
import Training

/// The row-sparse word-embedding exchange against the dense one, on every rank.
extension Checks {
    /// Named tolerance of the plain (MPI allreduce) mode: sparse and dense sums of the same
    /// addends may differ by MPI's choice of algorithm for the two message sizes.
    static let sparsePlainTolerance: Float = 1e-6

    /// Each rank touches its own rows of the word table (repeats, the padding id, one rank
    /// none at all in one step); its gradient is random in those rows and zero elsewhere,
    /// random in every other tensor. Per step, the reducer with a row-sparse word bucket,
    /// driven by backward's hooks, must give: in the plain mode the dense reducer's result
    /// within `sparsePlainTolerance`; in the deterministic mode (power-of-two W) the dense
    /// deterministic result byte for byte; rows outside the union zero; the union the same
    /// on every rank; fewer bytes than dense; and the dense fallback once the union
    /// exceeds the set fraction.
    func checkSparseRows() throws {
        let config = BertConfig(vocabSize: 997, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2,
                                intermediateSize: 64, maxPositionEmbeddings: 40)
        let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: 3)
        let word = layout.require(BucketPlan.wordEmbeddings)
        let sparsePlan = try BucketPlan(layout: layout, bucketBytes: 24 << 10, firstBucketBytes: 4 << 10, sparseWordEmbeddings: true)
        let densePlan = try BucketPlan(layout: layout, bucketBytes: 24 << 10, firstBucketBytes: 4 << 10)
        try expect(sparsePlan.buckets.filter { $0.rowSparse != nil }.count == 1
                   && sparsePlan.buckets.last?.names == [BucketPlan.wordEmbeddings],
                   "the sparse plan does not give the word table a last bucket of its own")
        let W = comm.size, r = comm.rank, n = layout.count, pad: Int32 = 0
        let modes = W & (W - 1) == 0 ? [false, true] : [false]
        for deterministic in modes {
            let fraction = 0.25
            let sparseGrad = FloatBuffer(count: n), denseGrad = FloatBuffer(count: n)
            let sparse = try GradientReducer(communicator: comm, plan: sparsePlan, gradients: sparseGrad,
                                             deterministic: deterministic, sparseFraction: fraction)
            let dense = try GradientReducer(communicator: comm, plan: densePlan, gradients: denseGrad, deterministic: deterministic)
            let name = deterministic ? "deterministic" : "plain"
            // Steps: 0 and 1 small unions (rank 0 touches nothing in step 1), 2 past the fraction.
            for step in 0..<3 {
                var ids: [Int32]
                switch step {
                case 0: ids = (0..<48).map { (k: Int) -> Int32 in Int32((k * 7 + r * 31) % 120) }   // repeats, id 0 (pad)
                case 1: ids = r == 0 ? [pad, pad] : (0..<30).map { (k: Int) -> Int32 in Int32(500 + (k * 13 + r * 5) % 200) }
                default:
                    let vocab = config.vocabSize
                    ids = (0..<400).map { (k: Int) -> Int32 in Int32((k * 97 + r * 389) % vocab) }
                }
                let touched = Set(ids.filter { $0 != pad })
                let value: (Int) -> Float = { i in
                    if word.range.contains(i) && !touched.contains(Int32((i - word.offset) / word.shape[1])) { return 0 }
                    var g = SplitMix64(seed: hashKey(21, UInt64(r), UInt64(i), UInt64(step)))
                    return Float(g.nextNormal()) * 1e-2
                }
                for g in [sparseGrad, denseGrad] {
                    g.zero()
                    for e in layout.entries { for i in e.range { g[i] = value(i) } }
                }
                try ids.withUnsafeBufferPointer { try sparse.prepareRows(of: BucketPlan.wordEmbeddings, ids: $0, skipping: pad) }
                for l in stride(from: sparsePlan.layerCount, through: -1, by: -1) { sparse.layerDone(l) }
                try sparse.finish()
                try dense.allreduceAll()

                // The union over ranks, computed here from everyone's ids.
                var mine = [Int64](repeating: 0, count: config.vocabSize)   // ranks' id counts differ: gather flags
                for id in touched { mine[Int(id)] = 1 }
                let all = try comm.allgather(mine)
                let union = Set(all.indices.filter { all[$0] != 0 }.map { Int32($0 % config.vocabSize) })
                let rows = sparse.statistics.lastSparseRows
                let expectSparse = union.count <= Int(Double(config.vocabSize) * fraction)
                let expectedRows: [Int?] = W == 1 ? [] : [expectSparse ? union.count : nil]   // one rank: nothing exchanged
                try expect(rows == expectedRows,
                           "\(name) step \(step): union rows \(rows), expected \(expectSparse ? "\(union.count)" : "dense")")
                var maxDiff: Float = 0, outsideNonZero = 0
                for i in 0..<n { maxDiff = max(maxDiff, abs(sparseGrad[i] - denseGrad[i])) }
                for row in 0..<word.shape[0] where !union.contains(Int32(row)) {
                    for c in 0..<word.shape[1] where sparseGrad[word.offset + row * word.shape[1] + c] != 0 { outsideNonZero += 1 }
                }
                let identical = memcmp(sparseGrad.pointer, denseGrad.pointer, n * 4) == 0
                say("sparse \(name) step \(step): union \(union.count) rows (\(expectSparse ? "by rows" : "dense fallback")), "
                    + "\(sparse.statistics.lastBytesReduced) bytes vs \(dense.statistics.lastBytesReduced) dense, "
                    + "identical to dense: \(identical), max |diff| \(maxDiff)")
                try expect(outsideNonZero == 0, "\(name) step \(step): \(outsideNonZero) values outside the union are not zero")
                if deterministic || W == 2 {
                    try expect(identical, "\(name) step \(step): sparse and dense results differ (max |diff| \(maxDiff))")
                } else {
                    try expect(maxDiff <= Self.sparsePlainTolerance, "\(name) step \(step): max |diff| \(maxDiff) above tolerance")
                }
                if expectSparse && W > 1 {
                    try expect(sparse.statistics.lastBytesReduced < dense.statistics.lastBytesReduced,
                               "\(name) step \(step): the sparse step sent \(sparse.statistics.lastBytesReduced) bytes, dense \(dense.statistics.lastBytesReduced)")
                }
                try comm.verifyIdentical(hash: contentHash(sparseGrad.pointer, count: n), what: "sparse-reduced gradients (\(name), step \(step))")
            }
        }
    }
}
