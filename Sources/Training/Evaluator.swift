import BERT
import Foundation
import Tensor

/// Runs a model over a dataset in evaluation mode: mean loss (when labeled), predictions
/// (class ids, or values for regression) and each example's logits.
public struct Evaluator {
    public struct Result {
        public var loss: Double?
        public var predictions: [Double]
        /// [count, numLabels]
        public var logits: [Float]
        public var scores: Scores?
        public var seconds: Double
    }

    public var batchSize: Int
    public var padToMax: Bool

    public init(batchSize: Int, padToMax: Bool) { self.batchSize = batchSize; self.padToMax = padToMax }

    public func evaluate(_ model: BertForSequenceClassification, on data: EncodedDataset, task: TaskData) -> Result {
        let start = Date()
        let L = model.numLabels
        var predictions = [Double](), logits = [Float]()
        predictions.reserveCapacity(data.count); logits.reserveCapacity(data.count * L)
        var lossSum = 0.0
        let labeled = data.isLabeled
        let order = Array(0..<data.count)
        var s = 0
        while s < data.count {
            let idx = order[s..<min(s + batchSize, data.count)]
            let batch = data.batch(idx, padToMax: padToMax, regression: task.regression)
            let out = model.forward(batch, mode: .eval)
            if labeled { lossSum += Double(model.loss(batch)) * Double(batch.size) }
            for b in 0..<batch.size {
                let row = out[(b * L)..<((b + 1) * L)]
                logits += row
                if task.regression { predictions.append(Double(row[row.startIndex])) }
                else { predictions.append(Double(row.indices.max { row[$0] < row[$1] }! - row.startIndex)) }
            }
            s += batchSize
        }
        var result = Result(loss: labeled ? lossSum / Double(max(data.count, 1)) : nil, predictions: predictions,
                            logits: logits, scores: nil, seconds: 0)
        if labeled {
            let gold = task.regression ? data.targets.map(Double.init) : data.labels.map(Double.init)
            result.scores = task.score(predictions, gold)
        }
        result.seconds = Date().timeIntervalSince(start)
        return result
    }
}
