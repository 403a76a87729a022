import BERT
import Dist
import Foundation

/// `--check-sync N`: every N steps the ranks compare what must be identical on all of them.
extension Trainer {
    /// The parameters (a 64-bit hash of their bits) and, in a quantization-aware run, the
    /// Q8BERT state, value by value: each Linear's step, input and output thresholds, each
    /// Embedding's step. A rank that differs stops the job with an error naming the rank,
    /// and for the Q8BERT state the first layer, value and both numbers.
    func verifyRanksInSync(step: Int) throws {
        try communicator.verifyIdentical(hash: contentHash(model.parameters.pointer, count: model.layout.count),
                                         what: "the parameters after step \(step)")
        guard model.quantization != nil else { return }
        let (names, values) = Self.quantizationState(model)
        let all = try communicator.allgather(floats: values)
        if let (rank, i) = Self.firstDifference(all, valuesPerRank: values.count) {
            let mine = all[i], theirs = all[rank * values.count + i]
            throw DistError.mismatch(what: "the Q8BERT state after step \(step): \(names[i]) is \(mine) on rank 0, "
                                         + "\(theirs) on rank \(rank)", rank: rank)
        }
    }

    /// The Q8BERT state as named values, in layer order (steps as exact floats up to 2^24).
    static func quantizationState(_ model: BertForSequenceClassification) -> (names: [String], values: [Float]) {
        var names = [String](), values = [Float]()
        for q in model.embeddingQuantizers where q.quantizes {
            names.append(q.name + "._step"); values.append(Float(q.step))
        }
        for q in model.linearQuantizers where q.settings.mode != .none {
            names.append(q.name + "._step"); values.append(Float(q.step))
            names.append(q.name + ".input_thresh"); values.append(q.input.value)
            names.append(q.name + ".output_thresh"); values.append(q.output.value)
        }
        return (names, values)
    }

    /// The first rank (> 0) and value index whose bits differ from rank 0's, in `all`
    /// [ranks * valuesPerRank].
    static func firstDifference(_ all: [Float], valuesPerRank n: Int) -> (rank: Int, index: Int)? {
        guard n > 0 else { return nil }
        for r in 1..<(all.count / n) {
            for i in 0..<n where all[r * n + i].bitPattern != all[i].bitPattern { return (r, i) }
        }
        return nil
    }
}
