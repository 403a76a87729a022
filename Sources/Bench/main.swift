import BERT
import Foundation
import Tensor

/// q8bench: training-step throughput of the classifier, FP32 and Q8BERT QAT.
/// usage: q8bench train MODEL_DIR THREADS STEPS BATCHxSEQ [BATCHxSEQ ...]
/// Prints one line per mode and shape: "MODE-train batch=B seq=T threads=N  X seq/s".
let args = CommandLine.arguments
guard args.count >= 6, args[1] == "train", let threads = Int(args[3]), let steps = Int(args[4]) else {
    FileHandle.standardError.write(Data("usage: q8bench train MODEL_DIR THREADS STEPS BATCHxSEQ...\n".utf8))
    exit(2)
}
Parallel.configure(threads: threads)
do {
    let modes = (ProcessInfo.processInfo.environment["MODES"] ?? "fp32 qat").split(separator: " ").map(String.init)
    for mode in modes {
        let (model, _) = try PretrainedLoader.load(directory: URL(fileURLWithPath: args[2]), numLabels: 2)
        if mode == "qat" { try model.enableQuantization(.q8bertPaper) }
        for shape in args[5...] {
            let parts = shape.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw NSError(domain: "q8bench", code: 2, userInfo: [NSLocalizedDescriptionKey: "bad shape \(shape), expected BxT"]) }
            let bench = TrainStepBench(model: model, batchSize: parts[0], seqLen: parts[1], steps: steps, warmup: 2)
            let (median, _) = bench.run()
            print(String(format: "%@-train batch=%d seq=%d threads=%d  %.1f seq/s  (median step %.0f ms)",
                         mode, parts[0], parts[1], threads, Double(parts[0]) / median, median * 1000))
        }
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
