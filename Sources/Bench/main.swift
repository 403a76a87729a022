import BERT
import Foundation
import Tensor

/// q8bench: benchmarks (release builds; scripts/bench-*.sh run them).
///
///   q8bench train MODEL_DIR THREADS STEPS BATCHxSEQ [BATCHxSEQ ...]
///       training-step throughput of the classifier, FP32 and Q8BERT QAT (MODES="fp32 qat").
///       One line per mode and shape: "MODE-train batch=B seq=T threads=N  X seq/s".
///   q8bench gemm [MxNxK ...]
///       single-threaded int8 GEMM on every path, on the given shapes (default: BERT-base
///       Linear shapes at M = 2048).
///   q8bench attention [TxD ...]
///       one (example, head) of attention, one thread: the fused kernel against OpenBLAS sgemm +
///       softmax + sgemm, on every instruction-set level (default shapes 128x32 64x32 128x64).
///   q8bench infer MINILM_DIR [INT8_OUT_DIR [BASE_INT8_OUT_DIR]]
///       int8 GEMM GOPS at M = 128 (VNNI), end-to-end int8 runtime vs FP32 forward for MiniLM
///       and a random BERT-base-shaped model, our medians as lines bench-infer.sh joins with the peers it measures (scripts/bench-infer.sh).
///       INT8_OUT_DIR keeps MiniLM's int8 export (for infer-rss), BASE_INT8_OUT_DIR the BERT-base
///       one (for infer-repeat). Environment: THREADS (2),
///       ITERS (timed runs per shape, 20), WARMUP (2), GEMM_SECONDS (per shape, 1),
///       PARTS ("gemm minilm base").
///   q8bench infer-rss int8|fp32 MODEL_DIR BATCHxSEQ
///       loads one model, runs one batch, prints its peak RSS (ru_maxrss) in MiB.
///   q8bench infer-texts INT8_DIR TSV BATCH
///       the int8 runtime on real sentences in batches of BATCH (tokenize + forward), as q8serve
///       runs them without HTTP (scripts/load-test.sh). Environment: THREADS (2), SECONDS (30), WARMUP (2).
///   q8bench infer-repeat INT8_DIR BATCHxSEQ RUNS
///       runs one random batch RUNS times on an exported int8 folder: median and best latency
///       (a fixed workload for callgrind / perf).
///   q8bench dist-train MODEL_DIR|base THREADS STEPS BATCHxSEQ [fp32|q8bert]
///       data-parallel training step (plain, or under mpirun), allreduce and overlap figures
///       (scripts/bench-dist.sh, scripts/bench-scaling.sh). BATCH is the global batch; base: a
///       random model of BERT-base's shape.
///   q8bench allreduce-cost [MAX_MB]
///       under mpirun: allreduce times by message size and the fitted latency and bandwidth
///       of the transport in use (scripts/bench-scaling.sh).
///   q8bench token-union MODEL_DIR TASK B SEQ
///       distinct word-embedding rows of W ranks' batches of B real training examples, W = 1..256
///       (the rows a sparse word-embedding exchange sends; scripts/bench-scaling.sh).
setvbuf(stdout, nil, _IOLBF, 0)
let args = CommandLine.arguments
let usage = """
    usage: q8bench train MODEL_DIR THREADS STEPS BATCHxSEQ...
           q8bench gemm [MxNxK ...]
           q8bench attention [TxD ...]
           q8bench infer MINILM_DIR [INT8_OUT_DIR [BASE_INT8_OUT_DIR]]
           q8bench infer-rss int8|fp32 MODEL_DIR BATCHxSEQ
           q8bench infer-texts INT8_DIR TSV BATCH
           q8bench infer-repeat INT8_DIR BATCHxSEQ RUNS
           q8bench dist-train MODEL_DIR|base THREADS STEPS BATCHxSEQ [fp32|q8bert]
           q8bench allreduce-cost [MAX_MB]
           q8bench token-union MODEL_DIR TASK B SEQ

    """

do {
    switch args.count > 1 ? args[1] : "" {
    case "train":
        guard args.count >= 6, let threads = Int(args[3]), let steps = Int(args[4]) else { throw BenchError.usage }
        try runTrainBench(modelDir: args[2], threads: threads, steps: steps, shapes: Array(args[5...]))
    case "attention":
        try runAttentionBench(shapes: Array(args.dropFirst(2)))
    case "gemm":
        try runInt8GemmBench(shapes: Array(args.dropFirst(2)))
    case "infer":
        guard (3...5).contains(args.count) else { throw BenchError.usage }
        try runInferenceBench(miniLM: URL(fileURLWithPath: args[2]),
                              keepInt8: args.count >= 4 ? URL(fileURLWithPath: args[3]) : nil,
                              keepBaseInt8: args.count == 5 ? URL(fileURLWithPath: args[4]) : nil)
    case "infer-rss":
        guard args.count == 5, ["int8", "fp32"].contains(args[2]) else { throw BenchError.usage }
        try runInferenceRSS(kind: args[2], directory: URL(fileURLWithPath: args[3]), shape: try parseShape(args[4]))
    case "infer-texts":
        guard args.count == 5, let batch = Int(args[4]), batch > 0 else { throw BenchError.usage }
        try runTextInferenceBench(directory: URL(fileURLWithPath: args[2]), tsv: URL(fileURLWithPath: args[3]), batch: batch)
    case "infer-repeat":
        guard args.count == 5, let runs = Int(args[4]) else { throw BenchError.usage }
        try runInferenceRepeat(directory: URL(fileURLWithPath: args[2]), shape: try parseShape(args[3]), runs: runs)
    case "dist-train":
        guard args.count == 6 || args.count == 7, let threads = Int(args[3]), let steps = Int(args[4]) else {
            throw BenchError.usage
        }
        try runDistTrainBench(modelDir: URL(fileURLWithPath: args[2]), threads: threads, steps: steps,
                              shape: try parseShape(args[5]), mode: args.count == 7 ? args[6] : "fp32")
    case "allreduce-cost":
        guard args.count <= 3, let maxMiB = args.count == 3 ? Double(args[2]) : 64, maxMiB > 0 else { throw BenchError.usage }
        try runAllreduceCostBench(maxMiB: maxMiB)
    case "token-union":
        guard args.count == 6, let b = Int(args[4]), let t = Int(args[5]), b > 0, t > 2 else { throw BenchError.usage }
        try runTokenUnionBench(modelDir: URL(fileURLWithPath: args[2]), task: args[3], batch: b, seqLen: t)
    default:
        throw BenchError.usage
    }
} catch BenchError.usage {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

/// `q8bench train`: one line per mode and shape (scripts/bench-train.sh parses them).
func runTrainBench(modelDir: String, threads: Int, steps: Int, shapes: [String]) throws {
    Parallel.configure(threads: threads)
    print("paths: FP32 kernels \(InstructionSet.current), int8 GEMM \(InstructionSet.int8Path), OpenBLAS \(InstructionSet.openBLASCore)")
    let modes = (ProcessInfo.processInfo.environment["MODES"] ?? "fp32 qat").split(separator: " ").map(String.init)
    for mode in modes {
        let (model, _) = try PretrainedLoader.load(directory: URL(fileURLWithPath: modelDir), numLabels: 2)
        // A "-fp32gemm" suffix: the quantized Linears' forward as an FP32 GEMM (the reference)
        // instead of the int8 kernels (the default, `QuantizedGemm`).
        let recipe = mode.hasSuffix("-fp32gemm") ? String(mode.dropLast("-fp32gemm".count)) : mode
        let gemm: QuantizedGemm = mode.hasSuffix("-fp32gemm") ? .fp32 : .int8
        switch recipe {
        case "fp32": break
        // qat: the most work, every input, weight and output fake-quantized (all-outputs).
        case "qat", "all-outputs": try model.enableQuantization(.allOutputs, gemm: gemm)
        case "q8bert": try model.enableQuantization(.q8bert, gemm: gemm)
        case "q8bert-paper": try model.enableQuantization(.q8bertPaper, gemm: gemm)
        default: throw BenchError.message("MODES: unknown mode \(mode) (fp32, qat = all-outputs, q8bert, q8bert-paper; QAT modes take -fp32gemm)")
        }
        for shape in shapes {
            let (b, t) = try parseShape(shape)
            let bench = TrainStepBench(model: model, batchSize: b, seqLen: t, steps: steps, warmup: 2)
            let (median, _) = bench.run()
            print(String(format: "%@-train batch=%d seq=%d threads=%d  %.1f seq/s  (median step %.0f ms)",
                         mode, b, t, threads, Double(b) / median, median * 1000))
        }
    }
}
