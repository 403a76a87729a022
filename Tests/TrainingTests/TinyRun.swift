import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor
@testable import Training

/// A tiny Q8BERT (all-outputs) fine-tuning run in process: a random BERT (2 layers, hidden
/// 16 by default) on 64 synthetic sentences (is "good" in it?; 32 for dev), batch 16 (4 steps
/// per epoch), 3 epochs, dev every 3 steps. Every call builds the same model and data afresh,
/// so two trainers start from identical states.
struct TinyRun {
    static let words = ["movie", "plot", "actor", "scene", "story", "music", "dull", "long", "the", "a"]
    let folder: URL
    let vocabulary: URL
    let tokenizer: BertTokenizer
    /// The model's hidden size (intermediate 2x), heads, and the standard deviation of its
    /// random weights; sentences in train and dev.
    let hiddenSize: Int, heads: Int, initStd: Double
    let trainSize: Int, devSize: Int

    init(folder: URL, hiddenSize: Int = 16, heads: Int = 2, initStd: Double = 0.05,
         trainSize: Int = 64, devSize: Int = 32) throws {
        self.folder = folder
        self.hiddenSize = hiddenSize; self.heads = heads; self.initStd = initStd
        self.trainSize = trainSize; self.devSize = devSize
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        vocabulary = folder.appendingPathComponent("vocab.txt")
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good"] + Self.words
        try (vocab.joined(separator: "\n") + "\n").write(to: vocabulary, atomically: true, encoding: .utf8)
        tokenizer = try BertTokenizer(vocabularyFile: vocabulary)
    }

    func synthetic(_ n: Int, seed: UInt64) -> [EncodedDataset.Input] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            var sentence = (0..<(3 + Int(rng.next() % 6))).map { _ in Self.words[Int(rng.next() % UInt64(Self.words.count))] }
            if i % 2 == 0 { sentence.insert("good", at: Int(rng.next() % UInt64(sentence.count + 1))) }
            return .init(textA: sentence.joined(separator: " "), label: i % 2 == 0 ? 1 : 0)
        }
    }

    func task(trainSeed: UInt64 = 1) -> TaskData {
        let train = EncodedDataset(synthetic(trainSize, seed: trainSeed), tokenizer: tokenizer, maxLength: 16)
        let dev = EncodedDataset(synthetic(devSize, seed: 2), tokenizer: tokenizer, maxLength: 16)
        return TaskData(name: "synthetic", labels: ["no", "yes"], regression: false, train: train, dev: dev,
                        test: dev) { pred, gold in
            Scores(values: ["accuracy": Double(zip(pred, gold).filter { $0 == $1 }.count) / Double(pred.count)],
                   main: "accuracy")
        }
    }

    /// The model, with the `quantize` preset enabled ("none": FP32).
    func model(quantize: String = "all-outputs") throws -> BertForSequenceClassification {
        let config = BertConfig(vocabSize: tokenizer.vocabulary.count, hiddenSize: hiddenSize, numHiddenLayers: 2,
                                numAttentionHeads: heads, intermediateSize: 2 * hiddenSize, maxPositionEmbeddings: 32)
        let model = BertForSequenceClassification(config: config, numLabels: 2)
        var rng = SplitMix64(seed: 3)
        for e in model.layout.entries {
            let t = model.tensor(e.name)!
            if e.name.hasSuffix("LayerNorm.weight") { t.update(repeating: 1) }
            else if e.name.hasSuffix(".bias") { t.update(repeating: 0) }
            else { for i in t.indices { t[i] = Float(rng.nextNormal() * initStd) } }
        }
        if quantize != "none" { try model.enableQuantization(try .preset(quantize)) }
        return model
    }

    func settings(output: String) -> TrainingSettings {
        var s = TrainingSettings()
        s.outputDir = folder.appendingPathComponent(output).path
        s.batchSize = 16
        s.learningRate = 1e-3
        s.epochs = 3
        s.evalEvery = 3
        s.maxSeqLength = 16
        s.quantize = "all-outputs"
        s.checkpointMinutes = 0
        return s
    }

    /// A trainer for `settings` (warnings collected into `warnings`).
    func trainer(_ settings: TrainingSettings, warnings: WarningLog? = nil) throws -> Trainer {
        try Trainer(settings: settings, model: try model(quantize: settings.quantize), task: task(),
                    vocabulary: vocabulary, baseConfig: nil, warn: { warnings?.lines.append($0) })
    }

    func records(_ output: String) throws -> [[String: Any]] {
        try String(contentsOf: folder.appendingPathComponent(output).appendingPathComponent("log.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }
}

/// Warnings a trainer reported.
final class WarningLog {
    var lines: [String] = []
}
