import BERT
import Dist
import Foundation
import ModelFormat
import Tensor
import Training

/// `q8bench dist-train MODEL_DIR|base THREADS STEPS BxT [fp32|q8bert|...]`: the data-parallel
/// training step as the Trainer runs it, on random tokens, one process or `mpirun -n W`:
///
///     forward (dropout) -> loss -> backward, buckets allreduced as layers finish
///     (layerDone: reducer.layerDone) -> reducer.finish() -> loss allreduce -> clip -> AdamW
///
/// B is the global batch (B / W examples per rank, each rank its own random tokens). Rank 0's
/// parameters are broadcast first; with quantization the Q8BERT ranges are combined over ranks
/// (MPIRangeReducer). After WARMUP (2) untimed steps, STEPS timed steps; every per-step figure
/// is the slowest rank's. Then, on its own, the blocking allreduce of the whole gradient
/// (`GradientReducer.allreduceAll`, the reference the bucketed reducer overlaps), STEPS times.
///
/// Environment REDUCTION_GROUPS=G (> 1): deterministic data parallelism (--reduction-groups G): the
/// batch in G / W row groups, GEMMs in fixed blocks, TreeAllreduce instead of MPI's.
/// SPARSE=F (default 0.5, the trainer's --sparse-embeddings): the word-embedding gradient
/// exchanged by rows while the union of the ranks' rows is at most F of the vocabulary; 0: dense.
/// The tokens are uniform over the vocabulary: the most distinct rows a batch can have, so
/// the sparse figures are the worst case (real text repeats its frequent tokens).
/// POLL=1 (default): backward tests the buckets in flight between a layer's GEMMs
/// (`GradientReducer.poll`), as the trainer does; 0: only at layer ends (before issue 16).
/// BUCKET_MB=M (default 25, DDP's): the bucket cap; FIRST_BUCKET_MB (default 1);
/// LAST_BUCKET_MB (default 8: the lowest layers' own bucket, BucketPlan).
///
/// Rank 0 prints the throughput (global B / median step), a step breakdown, the allreduce time,
/// the time `finish()` waited, and the share of the allreduce hidden behind backward,
/// 1 - wait / allreduce; one machine-readable "RESULT ..." line (scripts/bench-dist.sh) and
/// one "PROFILE {json}" line with what the scaling model reads (scripts/bench-scaling.sh):
/// step parts, the time into backward at which each bucket became ready, its bytes dense
/// and sparse, the range allreduces' count and cost per step. MODEL_DIR "base": a random
/// model of BERT-base's shape instead of a model folder.
/// The wait is the median over steps of the smallest wait over ranks: the rank whose backward
/// ended last waits only for the communication that did not overlap; the others also wait for
/// its backward (load imbalance, printed as well, but not communication).
func runDistTrainBench(modelDir: URL, threads: Int, steps: Int, shape: (Int, Int), mode: String) throws {
    let comm = Communicator.launchedByMPI ? try Communicator.world() : .single()
    do {
        try distTrain(comm, modelDir: modelDir, threads: threads, steps: max(1, steps), shape: shape, mode: mode)
        try comm.finalize()
    } catch {
        // A failing rank must take the job down, or the others wait in a collective forever.
        FileHandle.standardError.write(Data("error (rank \(comm.rank)): \(error)\n".utf8))
        if comm.size > 1 { comm.abort(errorCode: 1) }
        throw error
    }
}

private func distTrain(_ comm: Communicator, modelDir: URL, threads: Int, steps: Int, shape: (Int, Int),
                       mode: String) throws {
    Parallel.configure(threads: threads)
    let W = comm.size, (globalB, T) = shape
    guard globalB % W == 0 else { throw BenchError.message("global batch \(globalB) does not divide by \(W) ranks") }
    let B = globalB / W
    let warmup = max(0, environmentInt("WARMUP", 2))
    let groups = max(1, environmentInt("REDUCTION_GROUPS", 1))
    guard groups == 1 || (groups % W == 0 && globalB % groups == 0) else {
        throw BenchError.message("REDUCTION_GROUPS=\(groups) must be a multiple of \(W) ranks that divides the batch \(globalB)")
    }

    let model = modelDir.lastPathComponent == "base"
        ? randomBert(baseShape, seed: 2024)
        : try PretrainedLoader.load(directory: modelDir, numLabels: 2).model
    var ranges: MPIRangeReducer?
    let counting = CountingRangeReducer()
    if mode != "fp32" {
        let quantization = try QuantizationConfig.preset(mode)
        if W > 1 { ranges = MPIRangeReducer(communicator: comm) }
        counting.inner = ranges ?? LocalRangeReducer()
        try model.enableQuantization(quantization, reducer: counting)
    }
    try comm.broadcastParameters(model.parameters)
    let sparse = environmentDouble("SPARSE", 0.5)
    guard (0...1).contains(sparse) else { throw BenchError.message("SPARSE=\(sparse): expected a fraction in [0, 1]") }
    let poll = environmentInt("POLL", 1) != 0
    let plan = try BucketPlan(layout: model.layout,
                              bucketBytes: Int(environmentDouble("BUCKET_MB", 25) * 1048576),
                              firstBucketBytes: Int(environmentDouble("FIRST_BUCKET_MB", 1) * 1048576),
                              lastBucketBytes: Int(environmentDouble("LAST_BUCKET_MB", 8) * 1048576),
                              sparseWordEmbeddings: sparse > 0)
    let reducer = try GradientReducer(communicator: comm, plan: plan, gradients: model.gradients,
                                      deterministic: groups > 1, sparseFraction: sparse)
    let optimizer = AdamW(layout: model.layout, weightDecay: 0.01)
    var batch = randomBatch(size: B, seqLen: T, seed: 100 + UInt64(comm.rank), vocabSize: model.config.vocabSize,
                            exampleBase: comm.rank * B)
    if groups > 1 { batch.reductionGroups = groups / W }
    model.reserve(batch: B, seqLen: T)

    // Per timed step: total, forward (+ loss), backward (hooks included), hooks, finish() wait, rest.
    let fields = 6
    var record = [Float]()
    var bytesPerStep = [Double](), unionRows = [Double]()
    // Per timed step: when each bucket became ready (seconds into backward), the range
    // allreduces' seconds and count, the row-id exchange's seconds, progress ticks.
    let L = plan.layerCount
    var layerDoneAt = [Double](repeating: 0, count: L + 2)   // index layer + 1
    var backwardStart = 0.0, ticks = 0
    var readyRecord = [Float](), rangeSeconds = [Double](), rangeCalls = [Double](), rowIdSeconds = [Double](), tickCounts = [Double]()
    let layerDone: (Int) -> Void = { l in
        layerDoneAt[l + 1] = now() - backwardStart
        reducer.layerDone(l)
    }
    let progress: () -> Void = {
        ticks += 1
        reducer.poll()
    }
    func prepareRows() throws {
        try batch.inputIds.withUnsafeBufferPointer {
            try reducer.prepareRows(of: BucketPlan.wordEmbeddings, ids: $0, skipping: Int32(model.config.padTokenId))
        }
    }
    try comm.barrier()
    for step in 0..<(warmup + steps) {
        let t0 = now()
        let rangeBefore = (ranges?.seconds ?? 0, counting.calls)
        try prepareRows()
        model.forward(batch, mode: .train(seed: 1, step: step))
        var loss = model.loss(batch)
        model.zeroGradients()
        let t1 = now()
        backwardStart = t1
        ticks = 0
        model.backward(layerDone: layerDone, progress: W > 1 && poll ? progress : nil)  // layer times on one rank too
        let t2 = now()
        try reducer.finish()
        let t3 = now()
        if W > 1 { loss = Float(try comm.allreduceSum(Double(loss)) / Double(W)) }
        GradientClipping.clip(model.gradients.pointer, count: model.layout.count, maxNorm: 1)
        optimizer.update(parameters: model.parameters, gradients: model.gradients, lr: 2e-5)
        let t4 = now()
        guard loss.isFinite else { throw BenchError.message("loss \(loss) at step \(step)") }
        if step >= warmup {
            record += [t4 - t0, t1 - t0, t2 - t1, reducer.statistics.lastHookSeconds, t3 - t2, t4 - t3].map { Float($0) }
            bytesPerStep.append(Double(reducer.statistics.lastBytesReduced))
            readyRecord += plan.buckets.map { Float(layerDoneAt[$0.lowestLayer + 1]) }
            rangeSeconds.append((ranges?.seconds ?? 0) - rangeBefore.0)
            rangeCalls.append(Double(counting.calls - rangeBefore.1))
            rowIdSeconds.append(reducer.statistics.lastRowIdSeconds)
            tickCounts.append(Double(ticks))
            if let rows = reducer.statistics.lastSparseRows.first { unionRows.append(Double(rows ?? -1)) }
        }
    }
    try comm.barrier()
    // Slowest and fastest rank per step and field (the minimum as minus the maximum of -x).
    var slowest = record, fastest = record.map { -$0 }
    try slowest.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
    try fastest.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
    func column(_ f: Int, _ r: [Float] = slowest, sign: Double = 1) -> [Double] {
        stride(from: f, to: r.count, by: fields).map { sign * Double(r[$0]) }
    }
    let step = median(column(0)), forward = median(column(1)), backward = median(column(2))
    let hooks = median(column(3)), rest = median(column(5))
    // finish() waits: on the rank whose backward ended last, only for the communication backward
    // did not hide (the exposed part); on the others also for that rank's backward (imbalance).
    let wait = median(column(4, fastest, sign: -1)), waitSlowest = median(column(4))
    // Bucket readiness: per bucket, the median over steps of the slowest rank's time.
    try readyRecord.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
    let readyAt = plan.buckets.indices.map { b in
        median(stride(from: b, to: readyRecord.count, by: plan.buckets.count).map { Double(readyRecord[$0]) })
    }
    try comm.verifyIdentical(hash: contentHash(model.parameters.pointer, count: model.layout.count),
                             what: "the parameters after \(warmup + steps) steps")

    // The blocking allreduce of the whole gradient, on its own (no compute running).
    var allreduce = [Float]()
    if W > 1 {
        try prepareRows()
        try reducer.allreduceAll()  // warm-up
        for _ in 0..<max(3, steps) {
            try comm.barrier()
            let t0 = now()
            try prepareRows()        // the same exchange as a step's: rows when the step's were
            try reducer.allreduceAll()
            allreduce.append(Float(now() - t0))
        }
        try allreduce.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
    }

    guard comm.isRoot else { return }
    let name = mode == "fp32" ? "fp32" : mode
    print(String(format: "dist-train %@ ranks=%d threads=%d batch=%dx%d (%dx%d per rank)%@, %d timed steps: %.1f seq/s  (median step %.0f ms)",
                 name, W, threads, globalB, T, B, T, groups > 1 ? ", reduction groups \(groups)" : "", steps,
                 Double(globalB) / step, step * 1e3))
    print("  \(cpuModelName()); rank 0 paths: kernels \(InstructionSet.current), int8 GEMM \(InstructionSet.int8Path), "
          + "OpenBLAS \(InstructionSet.openBLASCore)")
    print(String(format: "  median step breakdown (slowest rank): forward+loss %.0f ms, backward %.0f ms (in layerDone hooks %.1f ms), "
                 + "finish() wait %.1f ms, loss allreduce+clip+AdamW %.0f ms", forward * 1e3, backward * 1e3, hooks * 1e3,
                 waitSlowest * 1e3, rest * 1e3))
    var hidden = Double.nan, allreduceMedian = Double.nan
    if W > 1 {
        allreduceMedian = median(allreduce.map(Double.init))
        hidden = 1 - wait / allreduceMedian
        let sent = median(bytesPerStep), rows = unionRows.isEmpty ? -1 : median(unionRows)
        let word = model.layout.require(BucketPlan.wordEmbeddings)
        print(String(format: "  gradient %.1f MB dense in %d buckets; reduced per step: %.1f MB (%@)",
                     Double(plan.byteCount) / 1e6, plan.buckets.count, sent / 1e6,
                     rows < 0 ? "word embeddings dense" : String(format: "word embeddings by rows: union %.0f of %d rows, %.1f MB instead of %.1f MB",
                                                                   rows, word.shape[0], rows * Double(word.shape[1]) * 4 / 1e6, Double(word.count) * 4 / 1e6)))
        print(String(format: "  blocking allreduce of the same exchange on its own: median %.1f ms (min %.1f ms)",
                     allreduceMedian * 1e3, Double(allreduce.min()!) * 1e3))
        print(String(format: "  optimizer waited in finish(): median %.1f ms/step on the rank that finished backward last "
                     + "(%.1f ms on the other: also waits for that rank's backward)", wait * 1e3, waitSlowest * 1e3))
        print(String(format: "  => allreduce hidden behind backward: 1 - %.1f / %.1f = %.1f%%  (target >= 85%%)",
                     wait * 1e3, allreduceMedian * 1e3, hidden * 100))
    } else {
        print("  one rank: nothing to reduce (finish() returns at once)")
    }
    // The measurements the scaling model (scripts/scaling_model.py) reads, one JSON line.
    let word = model.layout.require(BucketPlan.wordEmbeddings)
    let sparseBytes = plan.buckets.map { b -> Double in
        guard b.rowSparse != nil, !unionRows.isEmpty, median(unionRows) >= 0 else { return Double(b.byteCount) }
        return median(unionRows) * Double(word.shape[1]) * 4
    }
    let profile: [String: Any] = [
        "model": modelName(modelDir), "mode": name, "ranks": W, "threads": threads, "batch_per_rank": B, "seq": T,
        "reduction_groups": groups, "sparse_fraction": sparse, "poll": poll, "cpu": cpuModelName(),
        "step_s": step, "forward_s": forward, "backward_s": backward, "rest_s": rest, "hook_s": hooks,
        "wait_s": W > 1 ? wait : 0, "wait_slowest_s": waitSlowest, "allreduce_s": W > 1 ? allreduceMedian : 0,
        "bytes_per_step": bytesPerStep.isEmpty ? 0 : median(bytesPerStep), "dense_bytes": plan.byteCount,
        "union_rows": unionRows.isEmpty ? -1 : median(unionRows), "word_rows": word.shape[0], "word_width": word.shape[1],
        "range_calls_per_step": rangeCalls.isEmpty ? 0 : median(rangeCalls),
        "range_s_per_step": rangeSeconds.isEmpty ? 0 : median(rangeSeconds),
        "row_id_s_per_step": rowIdSeconds.isEmpty ? 0 : median(rowIdSeconds),
        "ticks_per_step": tickCounts.isEmpty ? 0 : median(tickCounts),
        "buckets": plan.buckets.map { b in
            ["dense_bytes": b.byteCount, "sparse_bytes": sparseBytes[b.index], "ready_s": readyAt[b.index],
             "layers": [b.lowestLayer, b.highestLayer], "row_sparse": b.rowSparse != nil] as [String: Any]
        },
    ]
    let json = try JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys])
    print("PROFILE " + String(decoding: json, as: UTF8.self))
    print(String(format: "RESULT groups=\(groups) mode=%@ ranks=%d threads=%d seq_per_s=%.3f step_ms=%.3f wait_ms=%.3f wait_max_ms=%.3f hook_ms=%.3f allreduce_ms=%.3f hidden=%.4f bytes=%.0f dense_bytes=%d union_rows=%.0f",
                 name, W, threads, Double(globalB) / step, step * 1e3, wait * 1e3, waitSlowest * 1e3, hooks * 1e3, allreduceMedian * 1e3, hidden,
                 bytesPerStep.isEmpty ? 0 : median(bytesPerStep), plan.byteCount, unionRows.isEmpty ? -1 : median(unionRows)))
}

/// MODEL_DIR "base": a random model of BERT-base's shape (the scaling model's second case).
let baseShape = BertConfig(vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12,
                           intermediateSize: 3072)

private func modelName(_ dir: URL) -> String {
    dir.lastPathComponent == "base" ? "bert-base-shape" : dir.lastPathComponent
}

/// Counts the range reductions a forward asks for (on one rank too, where nothing is sent).
private final class CountingRangeReducer: RangeReducer {
    var inner: RangeReducer = LocalRangeReducer()
    var calls = 0
    func globalMax(_ local: Float) -> Float {
        calls += 1
        return inner.globalMax(local)
    }
}
