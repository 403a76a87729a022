import BERT
import Dist
import Foundation
import Tensor

/// Runs a model over a dataset in evaluation mode, sharded over the ranks: each rank takes a
/// strided share of the examples, the logits are gathered, and every rank computes the same
/// exact metrics over all N examples (padding dropped). Returns the mean loss (when labeled),
/// the predictions (class ids, or values for regression) and the logits.
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
    public var communicator: Communicator

    public init(batchSize: Int, padToMax: Bool, communicator: Communicator = .single()) {
        self.batchSize = batchSize; self.padToMax = padToMax; self.communicator = communicator
    }

    public func evaluate(_ model: BertForSequenceClassification, on data: EncodedDataset, task: TaskData) throws -> Result {
        let start = Date()
        let L = model.numLabels
        let shards = try EvaluationShards(count: data.count, communicator: communicator)
        let positions = shards.positions
        // Chunks of E / W per rank: chunk j of all ranks is the single-process batch j.
        let chunk = max(1, batchSize / communicator.size)
        var local = [Float]()
        local.reserveCapacity(positions.count * L)
        var s = 0
        while s < positions.count {
            let batch = data.batch(positions[s..<min(s + chunk, positions.count)], padToMax: padToMax,
                                   regression: task.regression)
            local += model.forward(batch, mode: .eval)
            s += chunk
        }
        let logits = communicator.size == 1 ? local : try shards.allgather(local, valuesPerExample: L, communicator: communicator)
        var result = Self.result(logits: logits, data: data, task: task, classes: L)
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// Predictions, mean loss and scores from all N examples' logits [N, L].
    static func result(logits: [Float], data: EncodedDataset, task: TaskData, classes L: Int) -> Result {
        var predictions = [Double](), lossSum = 0.0
        predictions.reserveCapacity(data.count)
        let labeled = data.isLabeled
        for i in 0..<data.count {
            let row = logits[(i * L)..<((i + 1) * L)].map(Double.init)
            if task.regression {
                predictions.append(row[0])
                if labeled { let d = row[0] - Double(data.targets[i]); lossSum += d * d }
            } else {
                let best = row.indices.max { row[$0] < row[$1] }!
                predictions.append(Double(best))
                if labeled {
                    let m = row.max()!
                    let logZ = m + log(row.reduce(0) { $0 + exp($1 - m) })
                    lossSum += logZ - row[Int(data.labels[i])]
                }
            }
        }
        var result = Result(loss: labeled ? lossSum / Double(max(data.count, 1)) : nil, predictions: predictions,
                            logits: logits, scores: nil, seconds: 0)
        if labeled {
            let gold = task.regression ? data.targets.map(Double.init) : data.labels.map(Double.init)
            result.scores = task.score(predictions, gold)
        }
        return result
    }
}
