import BERT
import Foundation
import Runtime
import Tensor

/// `q8bench infer-repeat DIR BxT RUNS`: loads the int8 folder DIR and runs one random batch of
/// B x T tokens RUNS times after one warm-up run, printing the median and best latency. A fixed
/// workload for profilers (callgrind, perf) and quick before/after comparisons; THREADS (2).
func runInferenceRepeat(directory: URL, shape: (Int, Int), runs: Int) throws {
    Parallel.configure(threads: max(1, environmentInt("THREADS", 2)))
    let model = try Int8Model(directory: directory, integerOnly: environmentInt("INTEGER_ONLY", 0) != 0)
    let (b, t) = shape
    let batch = randomBatch(size: b, seqLen: t, seed: 5, vocabSize: model.config.vocabSize)
    model.reserve(batchSize: b, seqLen: t)
    _ = try model.predict(batch)
    var times = [Double]()
    for _ in 0..<max(1, runs) {
        let s = now()
        _ = try model.predict(batch)
        times.append(now() - s)
    }
    print(String(format: "infer-repeat %@%@ %dx%d threads=%d: median %.3f ms, best %.3f ms over %d runs",
                 directory.lastPathComponent, model.isIntegerOnly ? " (integer-only)" : "", b, t, Parallel.threads, median(times) * 1e3,
                 (times.min() ?? 0) * 1e3, times.count))
}
