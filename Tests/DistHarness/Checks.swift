import BERT
import Dist
import Foundation
import ModelFormat
import Tensor
import Training

struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The checks of q8dist-harness; every one is a collective (all ranks run it).
struct Checks {
    let comm: Communicator

    func say(_ s: String) { print("rank \(comm.rank)/\(comm.size): \(s)") }

    func expect(_ ok: Bool, _ what: @autoclosure () -> String) throws {
        if !ok { throw CheckFailure(what()) }
    }

    func info() {
        say("local \(comm.localRank)/\(comm.localSize), \(comm.threadLevel), mpi \(comm.usesMPI), "
            + "launched by MPI \(Communicator.launchedByMPI)")
    }

    // MARK: allreduce

    /// Sums, maxima, broadcast and gathers against values every rank can compute, once whole
    /// and once split into pieces of 5 elements (the Int32 count limit's path).
    func checkAllreduce() throws {
        info()
        let W = comm.size, r = comm.rank
        for piece in [Int(Int32.max), 5] {
            comm.maxCountPerCall = piece
            let n = 1003
            // Float sum: integer values, so every summation order is exact.
            var x = (0..<n).map { Float(($0 * 3 + r * 11) % 97) }
            try x.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: n) }
            for i in 0..<n {
                let want = (0..<W).reduce(Float(0)) { $0 + Float((i * 3 + $1 * 11) % 97) }
                try expect(x[i] == want, "allreduceSum[\(i)] = \(x[i]), expected \(want) (pieces of \(piece))")
            }
            // In-place max.
            var m = (0..<n).map { Float(($0 + r * 37) % 101) - 50 }
            try m.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: n) }
            for i in 0..<n {
                let want = (0..<W).map { Float((i + $0 * 37) % 101) - 50 }.max()!
                try expect(m[i] == want, "allreduceMax[\(i)] = \(m[i]), expected \(want)")
            }
            // Non-blocking sum.
            var y = (0..<n).map { Float($0 % 13) + Float(r) }
            let request = try y.withUnsafeMutableBufferPointer { try comm.iallreduceSum($0.baseAddress!, count: n) }
            while !(try request.test()) {}
            for i in 0..<n {
                let want = Float(W * (i % 13) + W * (W - 1) / 2)
                try expect(y[i] == want, "iallreduceSum[\(i)] = \(y[i]), expected \(want)")
            }
            // Broadcast from the last rank.
            var b = (0..<n).map { Float($0) * (r == W - 1 ? 1 : -7) }
            try b.withUnsafeMutableBufferPointer { try comm.broadcast(floats: $0.baseAddress!, count: n, root: W - 1) }
            try expect(b == (0..<n).map { Float($0) }, "broadcast(floats:) differs from the root's")
            var bytes = [UInt8](repeating: r == 0 ? 0xA5 : 0, count: 17)
            try bytes.withUnsafeMutableBytes { try comm.broadcast($0, root: 0) }
            try expect(bytes.allSatisfy { $0 == 0xA5 }, "broadcast(bytes) differs from the root's")
            // Gathers.
            let mine = (0..<7).map { Float(r * 100 + $0) }
            let everyone = (0..<W).flatMap { q in (0..<7).map { Float(q * 100 + $0) } }
            try expect(try comm.allgather(floats: mine) == everyone, "allgather(floats:)")
            let gathered = try comm.gather(floats: mine, root: 0)
            try expect(r == 0 ? gathered == everyone : gathered == nil, "gather(floats:root:)")
            try expect(try comm.allgather(Int64(r) * 1_000_000_007) == (0..<W).map { Int64($0) * 1_000_000_007 },
                       "allgather(Int64)")
        }
        comm.maxCountPerCall = Int(Int32.max)
        let maxF = try comm.allreduceMax(Float(r) * 2.5)
        try expect(maxF == Float(W - 1) * 2.5, "allreduceMax(Float) = \(maxF)")
        let sumD = try comm.allreduceSum(Double(r) + 0.25)
        try expect(sumD == Double(W * (W - 1) / 2) + 0.25 * Double(W), "allreduceSum(Double) = \(sumD)")
        let sumI = try comm.allreduceSum(Int64(r + 1) << 40)
        try expect(sumI == Int64(W * (W + 1) / 2) << 40, "allreduceSum(Int64) = \(sumI)")
        let ranges = MPIRangeReducer(communicator: comm)
        try expect(ranges.globalMax(Float(r + 1)) == Float(W), "MPIRangeReducer.globalMax")
        try comm.barrier()
    }

    // MARK: reducer

    /// The bucketed reducer, driven as backward drives it, against the blocking allreduce:
    /// bit-identical on integer-valued gradients (exact in any summation order), within
    /// rounding on random ones, and identical on every rank.
    func checkReducer() throws {
        let config = BertConfig(vocabSize: 200, hiddenSize: 32, numHiddenLayers: 4, numAttentionHeads: 2,
                                intermediateSize: 64, maxPositionEmbeddings: 40)
        let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: 3)
        let plan = try BucketPlan(layout: layout, bucketBytes: 24 << 10, firstBucketBytes: 4 << 10)
        say("plan: \(plan.buckets.count) buckets over \(layout.count) floats")
        let W = comm.size, r = comm.rank
        let integer: (Int, Int) -> Float = { rank, i in Float((i * 7 + rank * 13) % 64) - 32 }
        let random: (Int, Int) -> Float = { rank, i in
            var g = SplitMix64(seed: hashKey(7, UInt64(rank), UInt64(i), 0))
            return Float(g.nextNormal())
        }
        for (name, value) in [("integer", integer), ("random", random)] {
            let bucketed = FloatBuffer(count: layout.count), blocking = FloatBuffer(count: layout.count)
            let reducer = try GradientReducer(communicator: comm, plan: plan, gradients: bucketed)
            let reference = try GradientReducer(communicator: comm, plan: plan, gradients: blocking)
            for step in 0..<3 {
                fill(bucketed, layout) { value(r, $0 + step) }
                fill(blocking, layout) { value(r, $0 + step) }
                if step == 2 {
                    reducer.layerDone(plan.layerCount)   // partial hook use: finish starts the rest
                } else {
                    for l in stride(from: plan.layerCount, through: -1, by: -1) {
                        reducer.layerDone(l)
                        usleep(500)   // backward of the layer below
                    }
                }
                try reducer.finish()
                try reference.allreduceAll()
                // The mean computed locally from every rank's values, in rank order.
                var maxDiff: Float = 0
                for e in layout.entries {
                    for i in e.range {
                        let want = (0..<W).reduce(Float(0)) { $0 + value($1, i + step) } / Float(W)
                        maxDiff = max(maxDiff, abs(bucketed[i] - want), abs(blocking[i] - want))
                    }
                }
                let same = memcmp(bucketed.pointer, blocking.pointer, layout.count * 4) == 0
                let gapsZero = gaps(layout).allSatisfy { bucketed[$0] == 0 }
                say("reducer \(name) step \(step): bucketed == blocking: \(same), max |diff| vs local mean \(maxDiff), "
                    + "\(reducer.statistics.lastBucketsDoneBeforeFinish) buckets done before finish")
                try expect(gapsZero, "alignment gaps are no longer zero")
                if name == "integer" {
                    try expect(same && maxDiff == 0, "bucketed and blocking results differ on integer gradients")
                } else {
                    try expect(maxDiff <= 1e-5, "max |diff| \(maxDiff) above 1e-5")
                }
                try comm.verifyIdentical(hash: contentHash(bucketed.pointer, count: layout.count),
                                         what: "bucketed gradient average (\(name), step \(step))")
                try comm.verifyIdentical(hash: contentHash(blocking.pointer, count: layout.count),
                                         what: "blocking gradient average (\(name), step \(step))")
            }
            try expect(reducer.statistics.steps == 3, "reducer counted \(reducer.statistics.steps) steps")
        }
    }

    // MARK: deterministic reduction

    /// The deterministic reducer (TreeAllreduce per bucket, driven by backward's hooks, and
    /// the blocking path) gives, bit for bit, what one process computes by adding the W
    /// ranks' random gradients in RowGroups' tree, on every rank; odd bucket sizes included.
    func checkTreeReduction() throws {
        let config = BertConfig(vocabSize: 203, hiddenSize: 32, numHiddenLayers: 3, numAttentionHeads: 2,
                                intermediateSize: 64, maxPositionEmbeddings: 37)
        let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: 3)
        let plan = try BucketPlan(layout: layout, bucketBytes: 20 << 10 + 12, firstBucketBytes: 4 << 10 + 4)
        let W = comm.size, r = comm.rank, n = layout.count
        let value: (Int, Int) -> Float = { rank, i in
            var g = SplitMix64(seed: hashKey(11, UInt64(rank), UInt64(i), 0))
            return Float(g.nextNormal()) * 1e-3
        }
        // The reference: all ranks' buffers in one process, RowGroups' tree, then / W.
        let all = FloatBuffer(count: W * n)
        for q in 0..<W { for e in layout.entries { for i in e.range { all[q * n + i] = value(q, i) } } }
        RowGroups(count: W).combine(all.pointer, stride: n, count: n)
        for i in 0..<n { all[i] /= Float(W) }
        let bucketed = FloatBuffer(count: n), blocking = FloatBuffer(count: n)
        let reducer = try GradientReducer(communicator: comm, plan: plan, gradients: bucketed, deterministic: true)
        let reference = try GradientReducer(communicator: comm, plan: plan, gradients: blocking, deterministic: true)
        for step in 0..<2 {
            fill(bucketed, layout) { value(r, $0) }
            fill(blocking, layout) { value(r, $0) }
            for l in stride(from: plan.layerCount, through: -1, by: -1) {
                reducer.layerDone(l)
                if step == 0 { usleep(300) }
            }
            try reducer.finish()
            try reference.allreduceAll()
            let sameBucketed = memcmp(bucketed.pointer, all.pointer, n * 4) == 0
            let sameBlocking = memcmp(blocking.pointer, all.pointer, n * 4) == 0
            say("tree step \(step): bucketed == local tree: \(sameBucketed), blocking == local tree: \(sameBlocking)")
            try expect(sameBucketed && sameBlocking, "the tree reduction differs from the single-process tree")
            try comm.verifyIdentical(hash: contentHash(bucketed.pointer, count: n), what: "tree-reduced gradients")
        }
        // The grouped sampler: rank r's groups are the global groups r, r + W, ... in order.
        for G in [W, 2 * W, 4 * W] where G & (G - 1) == 0 {
            let B = 2 * G, N = 5 * B + 3
            let sampler = try DistributedSampler(count: N, communicator: comm, globalBatchSize: B, seed: 9, reductionGroups: G)
            let single = try DistributedSampler(count: N, worldSize: 1, rank: 0, globalBatchSize: B, seed: 9, reductionGroups: G)
            for (local, whole) in zip(sampler.batches(epoch: 1), single.batches(epoch: 1)) {
                let m = G / W, per = local.indices.count / m
                try expect(local.groups == m && whole.groups == G, "step \(local.step): groups \(local.groups), \(whole.groups)")
                try expect(local.stepIndices == whole.stepIndices, "step \(local.step): step indices differ from W = 1")
                for q in 0..<m {
                    let g = r + W * q, perSingle = whole.indices.count / G
                    try expect(Array(local.indices[q * per ..< (q + 1) * per]) == Array(whole.indices[g * perSingle ..< (g + 1) * perSingle]),
                               "step \(local.step): local group \(q) is not global group \(g)")
                    try expect(Array(local.exampleWeights[q * per ..< (q + 1) * per]) == Array(whole.exampleWeights[g * perSingle ..< (g + 1) * perSingle]),
                               "step \(local.step): weights of group \(q)")
                }
            }
        }
        say("tree: the deterministic reduction and grouped sampler match the single process bit for bit")
    }

    /// Writes value(i) into every parameter float and zeros into the alignment gaps.
    private func fill(_ g: FloatBuffer, _ layout: ParameterLayout, _ value: (Int) -> Float) {
        g.zero()
        for e in layout.entries { for i in e.range { g[i] = value(i) } }
    }

    private func gaps(_ layout: ParameterLayout) -> [Int] {
        var used = [Bool](repeating: false, count: layout.count)
        for e in layout.entries { for i in e.range { used[i] = true } }
        return used.indices.filter { !used[$0] }
    }

    // MARK: sampler

    /// For several (N, G): every rank's step batches, gathered, are disjoint and together
    /// exactly the single-process batch; evaluation shards gather back to 0..<N in order.
    func checkSampler() throws {
        let W = comm.size
        for (N, perRank) in [(23, 2), (10, 1), (64, 4), (5, 3), (1, 2)] {
            let G = perRank * W
            for padding in [DistributedSampler.Padding.withinStep, .fromEpochStart] {
                let sampler = try DistributedSampler(count: N, communicator: comm, globalBatchSize: G, seed: 1234,
                                                     padding: padding)
                let single = try DistributedSampler(count: N, worldSize: 1, rank: 0, globalBatchSize: G, seed: 1234)
                for epoch in 0..<2 {
                    let perm = single.permutation(epoch: epoch)
                    for local in sampler.batches(epoch: epoch) {
                        // Local batches have equal sizes on every rank: gather indices, flags, weights.
                        let encoded = zip(local.indices, local.isPadding).map { Int64($0) * 2 + ($1 ? 1 : 0) }
                        let all = try comm.allgather(encoded)
                        let weights = try comm.allgather(floats: local.exampleWeights)
                        let real = all.filter { $0 % 2 == 0 }.map { Int($0 / 2) }
                        let s = local.step
                        let want = Array(perm[(s * G)..<min((s + 1) * G, N)])
                        try expect(Set(real).count == real.count, "N \(N) G \(G) step \(s): ranks overlap")
                        try expect(real.sorted() == want.sorted(),
                                   "N \(N) G \(G) step \(s): union \(real.sorted()) != single-process \(want.sorted())")
                        // Real weights are W b_s / m, m of them: they sum to W b_s, the padded step size.
                        try expect(abs(weights.reduce(0, +) - Float(all.count)) < 1e-4,
                                   "N \(N) G \(G) step \(s): weights sum to \(weights.reduce(0, +)), not \(all.count)")
                    }
                }
            }
            // Evaluation: each rank "predicts" (2p, -p) for position p; gather and allgather.
            let shards = try EvaluationShards(count: N, communicator: comm)
            let local = shards.positions.flatMap { [Float(2 * $0), -Float($0)] }
            let want = (0..<N).flatMap { [Float(2 * $0), -Float($0)] }
            let atRoot = try shards.gather(local, valuesPerExample: 2, communicator: comm)
            try expect(comm.isRoot ? atRoot == want : atRoot == nil, "N \(N): gathered evaluation results")
            try expect(try shards.allgather(local, valuesPerExample: 2, communicator: comm) == want,
                       "N \(N): allgathered evaluation results")
        }
        say("sampler: every step's rank batches are disjoint and cover the single-process batch")
    }

    // MARK: verifyIdentical

    /// As q8train runs (`Communicator.abortsOnError`): the last rank makes an invalid MPI
    /// call (a broadcast from a root that does not exist) while the others wait at a barrier;
    /// the job must end with a message naming that rank, its host and the call.
    func failOneCollective() throws {
        Communicator.abortsOnError = true
        if comm.rank == comm.size - 1 {
            var x: Float = 0
            try comm.broadcast(floats: &x, count: 1, root: comm.size)
        }
        try comm.barrier()
        throw CheckFailure("the invalid broadcast did not end the job")
    }

    func checkVerifyMismatch() throws {
        try comm.verifyIdentical(hash: 42, what: "agreeing hash")
        do {
            try comm.verifyIdentical(hash: comm.rank == 1 ? 43 : 42, what: "deliberately different hash")
            if comm.size > 1 { throw CheckFailure("no mismatch reported") }
        } catch let e as DistError {
            guard case .mismatch(_, let rank) = e, rank == 1 else { throw e }
            say("caught: \(e)")
        }
        // broadcastParameters makes them agree.
        let p = FloatBuffer((0..<100).map { Float($0 + comm.rank) })
        try comm.broadcastParameters(p)
        try comm.verifyIdentical(hash: contentHash(p.pointer, count: p.count), what: "parameters after broadcast")
        try expect(p[5] == 5, "broadcastParameters did not copy rank 0's values")
    }
}
