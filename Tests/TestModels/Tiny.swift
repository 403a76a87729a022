import BERT
import Foundation
import ModelFormat
import Tensor

/// A tiny random BERT (vocab 211, hidden 32, 2 layers, 4 heads, intermediate 48), no dropout,
/// with Q8BERT quantization enabled and its EMA thresholds set by a few training-mode forwards.
public enum Tiny {
    public static let vocabSize = 211

    public static func config() -> BertConfig {
        BertConfig(vocabSize: vocabSize, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4,
                   intermediateSize: 48, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                   maxPositionEmbeddings: 64, typeVocabSize: 2)
    }

    /// Random weights (std 0.1, biases too, LayerNorm weights around 1), `labels` outputs.
    public static func model(labels: Int = 3, seed: UInt64 = 7) -> BertForSequenceClassification {
        let model = BertForSequenceClassification(config: config(), numLabels: labels)
        var rng = SplitMix64(seed: seed)
        for e in model.layout.entries {
            let t = model.tensor(e.name)!
            let isNormWeight = e.name.hasSuffix("LayerNorm.weight")
            for i in t.indices {
                let r = Float(rng.nextNormal())
                t[i] = isNormWeight ? 1 + 0.1 * r : (e.name.hasSuffix(".bias") ? 0.05 * r : 0.1 * r)
            }
        }
        return model
    }

    /// A batch of B examples of up to T tokens: [CLS]-like first id, random ids, padding at
    /// the tail of all but the first example, a second segment in some.
    public static func batch(size B: Int, seqLen T: Int, seed: UInt64) -> Batch {
        var rng = SplitMix64(seed: seed)
        var ids = [Int32](repeating: 0, count: B * T), types = [Int32](repeating: 0, count: B * T)
        var mask = [Float](repeating: 0, count: B * T)
        for b in 0..<B {
            let length = b == 0 ? T : 2 + Int(rng.next() % UInt64(T - 1))
            let split = b % 2 == 1 ? length / 2 : length
            for t in 0..<length {
                ids[b * T + t] = t == 0 ? 2 : Int32(5 + rng.next() % UInt64(vocabSize - 5))
                types[b * T + t] = t >= split ? 1 : 0
                mask[b * T + t] = 1
            }
        }
        return Batch(size: B, seqLen: T, inputIds: ids, tokenTypeIds: types, attentionMask: mask,
                     labels: [Int32](repeating: 0, count: B))
    }

    /// Enables `quantization` and runs `steps` training-mode forwards (no dropout, no update).
    public static func calibrate(_ model: BertForSequenceClassification, _ quantization: QuantizationConfig, steps: Int = 4) throws {
        try model.enableQuantization(quantization)
        for s in 0..<steps {
            model.forward(batch(size: 4, seqLen: 12 + s, seed: 100 + UInt64(s)), mode: .train(seed: 1, step: s))
        }
    }

    /// A vocab.txt of the tiny vocabulary.
    public static func vocabulary(in dir: URL) throws -> URL {
        let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (5..<vocabSize).map { "w\($0)" }
        let url = dir.appendingPathComponent("vocab.txt")
        try (tokens.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    public static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8-runtime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Exports `model` to dir/int8 and returns the folder.
    @discardableResult
    public static func export(_ model: BertForSequenceClassification, in dir: URL,
                       labels: [String]? = nil) throws -> (URL, Int8ExportSummary) {
        let out = dir.appendingPathComponent("int8")
        let summary = try Int8Exporter.export(model, to: out, vocabulary: try vocabulary(in: dir), labels: labels)
        return (out, summary)
    }
}
