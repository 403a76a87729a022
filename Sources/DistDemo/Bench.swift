import BERT
import Dist
import Foundation
import ModelFormat
import Tensor
import Training

extension Demo {
    /// Blocking allreduce of `megabytes` (10^6 bytes), then the MiniLM-L6-H384 gradient
    /// (22.7M floats, 91 MB) three ways: one blocking allreduce, the bucketed reducer with no work
    /// between layers (pure communication), and with `computeMs` of busy work per layer as a
    /// stand-in for backward (then `finish` waits only for what did not overlap).
    /// Times are per step in milliseconds: median and minimum of `repetitions` after a warm-up.
    func benchAllreduce(megabytes: Double, repetitions: Int = 5) throws {
        let n = Int(megabytes * 1e6) / 4
        let x = FloatBuffer(count: n)
        for i in 0..<n { x[i] = Float(i % 7) }
        let blocking = try time(repetitions) { try comm.allreduceSum(x.pointer, count: n) }
        report(String(format: "blocking allreduce %.1f MB: %@  (%.2f GB/s algorithm bandwidth)",
                      Double(n * 4) / 1e6, blocking.text, Double(n * 4) / blocking.median / 1e9))

        let config = BertConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
                                intermediateSize: 1536)
        let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: 2)
        let plan = try BucketPlan(layout: layout)
        let g = FloatBuffer(count: layout.count)
        for i in 0..<layout.count { g[i] = Float(i % 5) }
        let reducer = try GradientReducer(communicator: comm, plan: plan, gradients: g)
        report(String(format: "MiniLM layout: %d floats (%.1f MB), %d buckets: %@", layout.count,
                      Double(plan.byteCount) / 1e6, plan.buckets.count,
                      plan.buckets.map { String(format: "%.1f", Double($0.byteCount) / 1e6) }.joined(separator: " ")))
        let whole = try time(repetitions) { try reducer.allreduceAll() }
        report("  blocking allreduceAll: \(whole.text)")
        for computeMs in [0.0, 10.0, 40.0] {
            var waits: [Double] = [], hooks: [Double] = []
            let step = try time(repetitions) {
                for l in stride(from: plan.layerCount, through: -1, by: -1) {
                    spin(milliseconds: computeMs)
                    reducer.layerDone(l)
                }
                try reducer.finish()
                waits.append(reducer.statistics.lastWaitSeconds)
                hooks.append(reducer.statistics.lastHookSeconds)
            }
            let work = computeMs * Double(plan.layerCount + 2) / 1e3
            let median = { (v: [Double]) in v.suffix(repetitions).sorted()[repetitions / 2] }
            report(String(format: "  bucketed, %2.0f ms work per layer: step %@ (work %.0f ms); medians: "
                          + "in layerDone %.1f ms, in finish %.1f ms; %d buckets done before finish",
                          computeMs, step.text, work * 1e3, median(hooks) * 1e3, median(waits) * 1e3,
                          reducer.statistics.lastBucketsDoneBeforeFinish))
        }
        // Random per-rank gradients: the average must be bit-identical on every rank.
        var rng = SplitMix64(seed: hashKey(11, UInt64(comm.rank), 0, 0))
        for i in 0..<layout.count { g[i] = Float(rng.nextNormal()) }
        for l in stride(from: plan.layerCount, through: -1, by: -1) { reducer.layerDone(l) }
        try reducer.finish()
        try comm.verifyIdentical(hash: contentHash(g.pointer, count: g.count), what: "averaged MiniLM gradients")
        report("  averaged random gradients are bit-identical on every rank")
    }

    private func report(_ s: String) { if comm.isRoot { print(s) } }

    /// Runs `body` once to warm up, then `repetitions` times between barriers.
    private func time(_ repetitions: Int, _ body: () throws -> Void) throws -> Timing {
        try body()
        var seconds: [Double] = []
        for _ in 0..<repetitions {
            try comm.barrier()
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        // Every rank reports the slowest rank's time.
        var slowest = seconds.map { Float($0) }
        try slowest.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
        return Timing(seconds: slowest.map { Double($0) })
    }

    /// Busy work (a backward stand-in that keeps the core busy, as real kernels do).
    private func spin(milliseconds: Double) {
        guard milliseconds > 0 else { return }
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds * 1e6)
        var x = 1.0
        while DispatchTime.now().uptimeNanoseconds < end { for _ in 0..<1000 { x = x * 1.0000001 + 1e-9 } }
        if x == 0 { print(x) }
    }
}

struct Timing {
    let seconds: [Double]
    var median: Double { seconds.sorted()[seconds.count / 2] }
    var minimum: Double { seconds.min()! }
    var text: String { String(format: "median %.1f ms, min %.1f ms", median * 1e3, minimum * 1e3) }
}
