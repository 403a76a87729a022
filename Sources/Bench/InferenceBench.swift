import BERT
import CKernels
import Foundation
import ModelFormat
import Runtime
import Tensor

/// `q8bench infer`: the int8 runtime against our FP32 inference.
///
/// 1. int8 GEMM GOPS, single thread, VNNI path, at M = 128 on the four Linear shapes of
///    MiniLM-L6-H384 and BERT-base, as a fraction of the single-core VNNI peak.
/// 2. End to end on `THREADS` threads (default 2), the default int8 mode, FP32 and the
///    integer-only mode (speed relative to the default mode): the bundled MiniLM with a fresh 2-label
///    classifier, `.q8bert` enabled and its thresholds set by 4 training-mode forwards on
///    random 4 x 128 batches, exported with `Int8Exporter` and loaded with `Int8Model`; the
///    same for a BERT-base-shaped model with random N(0, 0.02) weights. FP32 is
///    `forward(batch, mode: .eval)` of the model without quantization. All run the same
///    random full-length batches, rotating the order per timed run so that a change in
///    machine load hits all alike; latency = median seconds per batch, seq/s = B / latency.
/// 3. Our medians as `ours ...` lines; scripts/bench-infer.sh measures the peers (PyTorch, ONNX
///    Runtime) in the same run and prints both side by side.
func runInferenceBench(miniLM: URL, keepInt8: URL?, keepBaseInt8: URL? = nil) throws {
    let env = ProcessInfo.processInfo.environment
    let threads = max(1, environmentInt("THREADS", 2))
    let iters = max(1, environmentInt("ITERS", 20)), warmup = max(0, environmentInt("WARMUP", 2))
    let gemmSeconds = environmentDouble("GEMM_SECONDS", 1)
    let parts = Set((env["PARTS"] ?? "gemm minilm base").split(separator: " ").map(String.init))
    Parallel.configure(threads: threads)
    print("q8bench infer: \(cpuModelName()), \(ProcessInfo.processInfo.activeProcessorCount) cores; "
          + "end to end on \(threads) threads, median of \(iters) timed runs after \(warmup) warm-up run(s)")

    if parts.contains("gemm") { benchGemmAt128(seconds: gemmSeconds) }

    var measured: [String: ModelTiming] = [:]
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("q8bench-infer-\(getpid())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let vocabulary = miniLM.appendingPathComponent("vocab.txt")

    if parts.contains("minilm") {
        let (fp32, _) = try PretrainedLoader.load(directory: miniLM, numLabels: 2)
        let rows = try benchModel(
            name: "MiniLM-L6-H384 (\(miniLM.path))", fp32: fp32,
            makeQAT: { try PretrainedLoader.load(directory: miniLM, numLabels: 2).model },
            vocabulary: vocabulary, baseConfig: miniLM.appendingPathComponent("config.json"),
            exportTo: keepInt8 ?? scratch.appendingPathComponent("minilm-int8"),
            shapes: [(1, 128), (1, 64), (32, 128)], target: (32, 128), iters: iters, warmup: warmup)
        for r in rows { measured["minilm \(r.batch)x\(r.seqLen)"] = r }
    }
    if parts.contains("base") {
        let config = BertConfig(vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12,
                                intermediateSize: 3072)
        let fp32 = randomBert(config, seed: 2024)
        let rows = try benchModel(
            name: "BERT-base shape (hidden 768, 12 layers, 12 heads, intermediate 3072, vocab 30522; random N(0, 0.02))",
            fp32: fp32,
            makeQAT: {
                let m = BertForSequenceClassification(config: config, numLabels: 2)
                m.parameters.pointer.update(from: fp32.parameters.pointer, count: fp32.layout.count)
                return m
            },
            vocabulary: vocabulary, baseConfig: nil, exportTo: keepBaseInt8 ?? scratch.appendingPathComponent("base-int8"),
            shapes: [(8, 128), (1, 128)], target: nil, iters: iters, warmup: warmup)
        for r in rows { measured["base \(r.batch)x\(r.seqLen)"] = r }
    }
    if !measured.isEmpty { printOurLines(measured) }
}

/// Medians of one model at one shape, in seconds per batch.
struct ModelTiming {
    var batch: Int, seqLen: Int
    var int8: Double, fp32: Double, integerOnly: Double
    var int8SeqPerSecond: Double { Double(batch) / int8 }
    var fp32SeqPerSecond: Double { Double(batch) / fp32 }
}

/// Section 1: single-threaded int8 GEMM at M = 128.
func benchGemmAt128(seconds: Double) {
    let peak = 460.0, target = 0.85
    let best = q8_int8_best_path()
    let path = q8_int8_path_supported(Q8_INT8_PATH_VNNI) != 0 ? Q8_INT8_PATH_VNNI : best
    let pathName = InstructionSet.int8PathName(path)
    print("")
    print(String(format: "int8 GEMM, single thread, %@ path (C[M,N] = A[M,K] B[N,K]^T + bias, packed weights); "
                 + "single-core VNNI peak %.0f GOPS, target >= %.0f%% (%.0f GOPS)", pathName, peak, target * 100, peak * target))
    if path != Q8_INT8_PATH_VNNI { print("  (this CPU has no AVX-512 VNNI: the percentages compare another path with the VNNI peak)") }
    var met = 0
    let shapes = [(128, 384, 384), (128, 1536, 384), (128, 768, 768), (128, 3072, 768)]  // M x N x K
    for (m, n, k) in shapes {
        guard let t = timeInt8Gemm(m: m, n: n, k: k, path: path, seconds: seconds) else { continue }
        if t.bestGOPS >= peak * target { met += 1 }
        print(String(format: "  %4dx%4dx%4d (MxNxK)  best %6.1f GOPS = %5.1f%% of peak   median %6.1f GOPS = %5.1f%%   (%d calls, best %.3f ms)",
                     m, n, k, t.bestGOPS, 100 * t.bestGOPS / peak, t.medianGOPS, 100 * t.medianGOPS / peak,
                     t.calls, t.best * 1e3))
    }
    print("  shapes at >= \(Int(target * 100))% of peak (best call): \(met)/\(shapes.count)")
    print("fused int8 Linear (FP32 in: quantize while packing; int8 GEMM + int32 bias; rescale to FP32 in the store) "
          + "vs the same as three passes (quantize, int32 GEMM, dequantize); single thread, \(pathName); M = 64 is one "
          + "thread's share of a 1 x 128 batch on 2 threads")
    for (m, n, k) in [(64, 1152, 384), (64, 384, 384), (64, 1536, 384), (64, 384, 1536)] + shapes {
        guard let t = timeInt8Linear(m: m, n: n, k: k, path: path, seconds: seconds / 2) else { continue }
        print(String(format: "  %4dx%4dx%4d  fused best %6.1f GOPS (%5.1f%% of peak)   three passes best %6.1f GOPS   fused/passes %.2fx",
                     m, n, k, t.fused.bestGOPS, 100 * t.fused.bestGOPS / peak, t.passes.bestGOPS, t.passes.best / t.fused.best))
    }
}

/// Section 2 for one model: calibrate, export, load, then time both at every shape.
func benchModel(name: String, fp32: BertForSequenceClassification,
                makeQAT: () throws -> BertForSequenceClassification, vocabulary: URL, baseConfig: URL?,
                exportTo: URL, shapes: [(Int, Int)], target: (Int, Int)?, iters: Int, warmup: Int) throws -> [ModelTiming] {
    print("")
    print(name)
    // The QAT copy: .q8bert, thresholds from a few training-mode forwards (dropout on, no update).
    var t0 = now()
    var qat: BertForSequenceClassification? = try makeQAT()
    try qat!.enableQuantization(.q8bert)
    let calibration = 4
    for s in 0..<calibration {
        qat!.forward(randomBatch(size: 4, seqLen: 128, seed: 1000 + UInt64(s), vocabSize: fp32.config.vocabSize),
                     mode: .train(seed: 1, step: s))
    }
    let calibrateSeconds = now() - t0
    t0 = now()
    let summary = try Int8Exporter.export(qat!, to: exportTo, vocabulary: vocabulary, baseConfig: baseConfig)
    let exportSeconds = now() - t0
    t0 = now()
    let int8 = try Int8Model(directory: exportTo)
    let loadSeconds = now() - t0
    print(String(format: "  %.1fM parameters; q8bert calibrated by %d training-mode forwards on random 4x128 batches (%.1f s); "
                 + "int8 export %.1f MB = %.1f%% of FP32 (%d int8 Linears, %d FP32, %d warnings; %.1f s); runtime load %.2f s",
                 Double(fp32.layout.parameterCount) / 1e6, calibration, calibrateSeconds, Double(summary.bytes) / 1e6,
                 100 * summary.ratio, summary.int8Linears, summary.fp32Linears, summary.warnings.count, exportSeconds, loadSeconds))
    // A sanity check: the runtime reproduces the QAT model's evaluation mode.
    let check = randomBatch(size: 2, seqLen: 64, seed: 77, vocabSize: fp32.config.vocabSize)
    let expected = Array(qat!.forward(check, mode: .eval))
    let got = try int8.predict(check)
    let diff = zip(got, expected).map { abs($0 - $1) }.max() ?? .nan
    print(String(format: "  check: int8 runtime vs QAT eval-mode logits on a random 2x64 batch, max |diff| %.3g", diff))
    qat = nil  // release it before timing
    // The integer-only mode on the same folder (an approximation of the default mode).
    let integer = try Int8Model(directory: exportTo, integerOnly: true)
    let integerDiff = zip(try integer.predict(check), got).map { abs($0 - $1) }.max() ?? .nan
    print(String(format: "  check: integer-only mode vs the default mode on the same batch, max |logit diff| %.3g", integerDiff))

    let maxB = shapes.map(\.0).max()!, maxT = shapes.map(\.1).max()!
    int8.reserve(batchSize: maxB, seqLen: maxT)
    fp32.reserve(batch: maxB, seqLen: maxT)
    print("  shape    |  int8 median ms  int8 seq/s  |  FP32 median ms  FP32 seq/s  |  int8/FP32 speed  |  integer-only ms  seq/s  vs int8")
    var rows = [ModelTiming]()
    for (b, t) in shapes {
        let batch = randomBatch(size: b, seqLen: t, seed: UInt64(b * 1000 + t), vocabSize: fp32.config.vocabSize)
        for _ in 0..<warmup {
            _ = try int8.predict(batch)
            _ = try integer.predict(batch)
            fp32.forward(batch, mode: .eval)
        }
        var ti = [Double](), tf = [Double](), tn = [Double]()
        for i in 0..<iters {
            // Rotate which goes first, so that all see the same machine.
            for k in 0..<3 {
                let s = now()
                switch (i + k) % 3 {
                case 0:
                    _ = try int8.predict(batch)
                    ti.append(now() - s)
                case 1:
                    fp32.forward(batch, mode: .eval)
                    tf.append(now() - s)
                default:
                    _ = try integer.predict(batch)
                    tn.append(now() - s)
                }
            }
        }
        let row = ModelTiming(batch: b, seqLen: t, int8: median(ti), fp32: median(tf), integerOnly: median(tn))
        rows.append(row)
        let isTarget = target.map { $0 == (b, t) } ?? false
        // issue 17's aims: 2.5x on the VNNI path, 2x on AVX2 (docs/runtime.md, the AVX2 ceiling).
        let targetLabel = q8_int8_best_path() == Q8_INT8_PATH_VNNI ? " (target >= 2.5x)" : " (target >= 2x)  "
        print(String(format: "  %@ |  %14.2f  %10.1f  |  %14.2f  %10.1f  |  %8.2fx%@  |  %15.2f  %5.1f  %6.2fx", pad("\(b)x\(t)", 8),
                     row.int8 * 1e3, row.int8SeqPerSecond, row.fp32 * 1e3, row.fp32SeqPerSecond, row.fp32 / row.int8,
                     isTarget ? targetLabel : "                 ", row.integerOnly * 1e3,
                     Double(b) / row.integerOnly, row.int8 / row.integerOnly))
    }
    return rows
}

/// Section 3's input: our medians as machine-readable lines, which scripts/bench-infer.sh joins
/// with the peers it measures in the same run (`ours ENGINE MODEL BxT MEDIAN_MS`).
func printOurLines(_ m: [String: ModelTiming]) {
    print("")
    print("ours: kernels \(InstructionSet.current) (CPU \(InstructionSet.detected)), int8 GEMM \(InstructionSet.int8Path), "
          + "OpenBLAS \(InstructionSet.openBLASCore)")
    for key in m.keys.sorted() {
        let r = m[key]!, parts = key.split(separator: " ")
        for (engine, seconds) in [("q8-int8", r.int8), ("q8-fp32", r.fp32), ("q8-integer-only", r.integerOnly)] {
            print(String(format: "ours %@ %@ %@ %.3f", engine, String(parts[0]), String(parts[1]), seconds * 1e3))
        }
    }
}

/// A classifier with Hugging Face's initialization: weights and embeddings N(0, 0.02),
/// biases 0, LayerNorm weights 1.
func randomBert(_ config: BertConfig, seed: UInt64, numLabels: Int = 2) -> BertForSequenceClassification {
    let model = BertForSequenceClassification(config: config, numLabels: numLabels)
    let entries = model.layout.entries
    // One generator per tensor, filled in parallel (110M normals take a while on one core).
    DispatchQueue.concurrentPerform(iterations: entries.count) { i in
        let e = entries[i]
        let t = model.tensor(e.name)!
        if e.name.hasSuffix("LayerNorm.weight") { t.update(repeating: 1); return }
        if e.name.hasSuffix(".bias") { t.update(repeating: 0); return }
        var rng = SplitMix64(seed: hashKey(seed, UInt64(i), 0, 0))
        for j in t.indices { t[j] = Float(rng.nextNormal() * Double(config.initializerRange)) }
    }
    return model
}

/// "AMD EPYC ..." from /proc/cpuinfo.
func cpuModelName() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}

/// `q8bench infer-rss int8|fp32 DIR BxT`: a process holding only one model (the int8 runtime
/// of an exported folder, or the FP32 classifier of a model folder) runs one batch and prints
/// its peak RSS.
func runInferenceRSS(kind: String, directory: URL, shape: (Int, Int)) throws {
    Parallel.configure(threads: max(1, environmentInt("THREADS", 2)))
    let start = currentRSSMiB
    let (b, t) = shape
    var loaded = 0.0, afterRun = 0.0
    if kind == "int8" {
        let model = try Int8Model(directory: directory)
        loaded = currentRSSMiB
        _ = try model.predict(randomBatch(size: b, seqLen: t, seed: 5, vocabSize: model.config.vocabSize))
        afterRun = currentRSSMiB
    } else {
        let (model, _) = try PretrainedLoader.load(directory: directory, numLabels: 2)
        loaded = currentRSSMiB
        model.forward(randomBatch(size: b, seqLen: t, seed: 5, vocabSize: model.config.vocabSize), mode: .eval)
        afterRun = currentRSSMiB
    }
    print(String(format: "infer-rss %@ batch=%dx%d: peak RSS %.1f MiB  (RSS at start %.1f MiB, after load %.1f MiB, after the batch %.1f MiB)",
                 kind, b, t, peakRSSMiB, start, loaded, afterRun))
}
