import BERT
import Foundation
import ModelFormat
import Tensor

/// Times forward + backward + AdamW of the FP32 classifier on random tokens (the speed does
/// not depend on the values): warm-up steps, then the median of timed steps.
struct TrainStepBench {
    var model: BertForSequenceClassification
    var batchSize: Int
    var seqLen: Int
    var steps: Int
    var warmup: Int

    func run() -> (median: Double, all: [Double]) {
        var rng = SplitMix64(seed: 7)
        let n = batchSize * seqLen
        let ids = (0..<n).map { i in i % seqLen == 0 ? Int32(101) : Int32(1000 + Int(rng.next() % 20000)) }
        let batch = Batch(size: batchSize, seqLen: seqLen, inputIds: ids,
                          tokenTypeIds: [Int32](repeating: 0, count: n),
                          attentionMask: [Float](repeating: 1, count: n),
                          labels: (0..<batchSize).map { Int32($0 % model.numLabels) })
        let opt = AdamW(layout: model.layout, weightDecay: 0.01)
        var times = [Double]()
        for step in 0..<(warmup + steps) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            model.forward(batch, mode: .train(seed: 1, step: step))
            _ = model.loss(batch)
            model.zeroGradients()
            model.backward()
            GradientClipping.clip(model.gradients.pointer, count: model.layout.count, maxNorm: 1)
            opt.update(parameters: model.parameters, gradients: model.gradients, lr: 2e-5)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if step >= warmup { times.append(dt) }
        }
        let sorted = times.sorted()
        return (sorted[sorted.count / 2], times)
    }
}
