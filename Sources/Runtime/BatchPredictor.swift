import BERT
import Foundation

/// One example's prediction.
public struct Prediction: Sendable, Equatable {
    /// The predicted class id (0 for regression).
    public var label: Int
    /// Classification: the softmax probability of `label`; regression: the predicted value.
    public var score: Float
    /// Classification: the probability of every class, by id; regression: [value].
    public var scores: [Float]
    /// The raw logits [numLabels].
    public var logits: [Float]
}

/// Predictions for many texts: tokenized up front, run in batches of similar lengths (sorted
/// by token count, each batch padded to its longest), results returned in input order.
public struct BatchPredictor {
    public let model: Int8Model
    public let tokenizer: BertTokenizer
    public var batchSize: Int
    public var maxSeqLength: Int

    public init(model: Int8Model, tokenizer: BertTokenizer? = nil, batchSize: Int = 64, maxSeqLength: Int = 128) throws {
        self.model = model
        self.tokenizer = try tokenizer ?? model.makeTokenizer()
        self.batchSize = max(1, batchSize)
        self.maxSeqLength = min(max(3, maxSeqLength), model.config.maxPositionEmbeddings)
    }

    /// Predicts every (text, optional second text). `progress(done, total)` is called after each batch.
    public func predict(_ texts: [(String, String?)], progress: ((Int, Int) -> Void)? = nil) throws -> [Prediction] {
        let empty = Encoding(inputIds: [], tokenTypeIds: [], attentionMask: [])
        var encodings = [Encoding](repeating: empty, count: texts.count)
        let chunk = 64, tokenizer = tokenizer, maxLength = maxSeqLength
        encodings.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: (texts.count + chunk - 1) / chunk) { c in
                for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                    out[i] = tokenizer.encode(texts[i].0, texts[i].1, maxLength: maxLength, padding: false)
                }
            }
        }
        return try predict(encodings: encodings, progress: progress)
    }

    /// Predicts already tokenized examples (unpadded encodings).
    public func predict(encodings: [Encoding], progress: ((Int, Int) -> Void)? = nil) throws -> [Prediction] {
        let order = encodings.indices.sorted { (encodings[$0].count, $0) < (encodings[$1].count, $1) }
        var results = [Prediction?](repeating: nil, count: encodings.count)
        let padId = tokenizer.vocabulary.padId
        var start = 0
        while start < order.count {
            let members = order[start..<min(start + batchSize, order.count)]
            let T = members.map { encodings[$0].count }.max() ?? 1
            let B = members.count
            var ids = [Int32](repeating: padId, count: B * T), types = [Int32](repeating: 0, count: B * T)
            var mask = [Float](repeating: 0, count: B * T)
            for (row, i) in members.enumerated() {
                let e = encodings[i]
                for t in 0..<e.count {
                    ids[row * T + t] = e.inputIds[t]
                    types[row * T + t] = e.tokenTypeIds[t]
                    mask[row * T + t] = Float(e.attentionMask[t])
                }
            }
            let batch = Batch(size: B, seqLen: T, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
            let logits = try model.predict(batch)
            let L = model.numLabels
            for (row, i) in members.enumerated() {
                results[i] = Self.prediction(Array(logits[(row * L)..<((row + 1) * L)]), regression: model.isRegression)
            }
            start += B
            progress?(start, order.count)
        }
        return results.map { $0! }
    }

    /// The label, score and probabilities of one row of logits (softmax in double).
    public static func prediction(_ logits: [Float], regression: Bool) -> Prediction {
        if regression { return Prediction(label: 0, score: logits[0], scores: [logits[0]], logits: logits) }
        let m = logits.max() ?? 0
        let e = logits.map { Foundation.exp(Double($0 - m)) }
        let sum = e.reduce(0, +)
        let probs = e.map { Float($0 / sum) }
        let best = logits.indices.max { logits[$0] < logits[$1] } ?? 0
        return Prediction(label: best, score: probs[best], scores: probs, logits: logits)
    }
}
