import ModelFormat
import Tensor
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
    /// The folder's tokenizer with the length limit (texts are truncated as in training).
    public let encoder: SequenceEncoder
    public var batchSize: Int
    public var tokenizer: BertTokenizer { encoder.tokenizer }
    /// Maximum tokens per example, [CLS] and [SEP] included (at most max_position_embeddings).
    public var maxSeqLength: Int { encoder.maxLength }

    public init(model: Int8Model, tokenizer: BertTokenizer? = nil, batchSize: Int = 64, maxSeqLength: Int = 128) throws {
        self.model = model
        self.encoder = SequenceEncoder(tokenizer: try tokenizer ?? model.makeTokenizer(),
                                       maxLength: min(max(3, maxSeqLength), model.config.maxPositionEmbeddings))
        self.batchSize = max(1, batchSize)
    }

    /// Predicts every (text, optional second text). `progress(done, total)` is called after each batch.
    public func predict(_ texts: [(String, String?)], progress: ((Int, Int) -> Void)? = nil) throws -> [Prediction] {
        let empty = Encoding(inputIds: [], tokenTypeIds: [], attentionMask: [])
        var encodings = [Encoding](repeating: empty, count: texts.count)
        let chunk = 64, encoder = encoder
        encodings.withUnsafeMutableBufferPointer { out in
            Parallel.forEachTask((texts.count + chunk - 1) / chunk) { c in
                for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                    out[i] = encoder.encode(texts[i].0, texts[i].1)
                }
            }
        }
        return try predict(encodings: encodings, progress: progress)
    }

    /// Predicts already tokenized examples (unpadded encodings).
    public func predict(encodings: [Encoding], progress: ((Int, Int) -> Void)? = nil) throws -> [Prediction] {
        let order = encodings.indices.sorted { (encodings[$0].count, $0) < (encodings[$1].count, $1) }
        var results = [Prediction?](repeating: nil, count: encodings.count)
        var start = 0
        while start < order.count {
            let members = Array(order[start..<min(start + batchSize, order.count)])
            let predictions = try predictBatch(members.map { encodings[$0] })
            for (row, i) in members.enumerated() { results[i] = predictions[row] }
            start += members.count
            progress?(start, order.count)
        }
        return results.map { $0! }
    }

    /// One forward over `encodings` (unpadded, at most max_position_embeddings tokens each),
    /// right-padded to the longest of them, whatever `batchSize` says; predictions in the given order.
    public func predictBatch(_ encodings: [Encoding]) throws -> [Prediction] {
        guard !encodings.isEmpty else { return [] }
        let padId = tokenizer.vocabulary.padId
        let T = encodings.map(\.count).max() ?? 1
        let B = encodings.count
        var ids = [Int32](repeating: padId, count: B * T), types = [Int32](repeating: 0, count: B * T)
        var mask = [Float](repeating: 0, count: B * T)
        for (row, e) in encodings.enumerated() {
            for t in 0..<e.count {
                ids[row * T + t] = e.inputIds[t]
                types[row * T + t] = e.tokenTypeIds[t]
                mask[row * T + t] = Float(e.attentionMask[t])
            }
        }
        let batch = Batch(size: B, seqLen: T, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
        let logits = try model.predict(batch)
        let L = model.numLabels
        return (0..<B).map { row in
            Self.prediction(Array(logits[(row * L)..<((row + 1) * L)]), regression: model.isRegression)
        }
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
