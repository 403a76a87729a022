import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// An Embedding's `start_step`, as nlp-architect's QuantizedEmbedding: training lookups before
/// it read the FP32 table (nothing quantized, threshold 0), from it on the fake-quantized
/// table; evaluation always quantizes; the step is saved and restored with the model folder.
/// (The same against nlp-architect's semantics with numbers: QuantizationReferenceTests, whose
/// fixture delays the position embeddings to step 2.)
final class EmbeddingStartStepTests: XCTestCase {
    static let config = BertConfig(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                   intermediateSize: 16, maxPositionEmbeddings: 8)

    func model() -> BertForSequenceClassification {
        let m = BertForSequenceClassification(config: Self.config, numLabels: 2)
        var rng = SplitMix64(seed: 3)
        for i in 0..<m.layout.count { m.parameters[i] = Float(rng.nextNormal() * 0.3) }
        return m
    }

    let batch = Batch(size: 2, seqLen: 8, inputIds: (0..<16).map { Int32(($0 * 7) % 30) },
                      tokenTypeIds: [Int32](repeating: 0, count: 16), attentionMask: [Float](repeating: 1, count: 16),
                      labels: [0, 1])

    func testPositionEmbeddingsQuantizeFromTheirStartStep() throws {
        let delayed = model(), plain = model()
        // Only the position table is quantized, from step 2: before it the two models agree bit for bit.
        let config = QuantizationConfig(method: "t", defaults: LayerQuantization(mode: QuantizationMode.none),
                                        layers: ["bert.embeddings.position_embeddings": .init(mode: .ema, startStep: 2)])
        try delayed.enableQuantization(config)
        let q = try XCTUnwrap(delayed.embeddingQuantizers.first { $0.name == "bert.embeddings.position_embeddings" })
        for step in 0..<4 {
            let a = Array(delayed.forward(batch, mode: .train(seed: 1, step: step)))
            let b = Array(plain.forward(batch, mode: .train(seed: 1, step: step)))
            XCTAssertEqual(q.step, step + 1)
            if step < 2 {
                XCTAssertEqual(a, b, "step \(step): before start_step the lookup is FP32")
                XCTAssertEqual(q.weightThreshold, 0, "step \(step)")
            } else {
                XCTAssertNotEqual(a, b, "step \(step): from start_step the table is quantized")
                XCTAssertGreaterThan(q.weightThreshold, 0, "step \(step)")
            }
        }
        // Evaluation quantizes whatever the step (nlp-architect's inference forward).
        let fresh = model()
        try fresh.enableQuantization(config)
        XCTAssertNotEqual(Array(fresh.forward(batch, mode: .eval)), Array(plain.forward(batch, mode: .eval)))
        XCTAssertEqual(fresh.embeddingQuantizers.first { $0.name == q.name }?.step, 0, "evaluation does not count")

        // The step survives a model folder.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8-emb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let vocabulary = dir.appendingPathComponent("vocab.txt")
        try ((0..<30).map { "t\($0)" }.joined(separator: "\n") + "\n").write(to: vocabulary, atomically: true, encoding: .utf8)
        let folder = dir.appendingPathComponent("best")
        try ModelFolderWriter.write(delayed, to: folder, labels: ["a", "b"], baseConfig: nil, vocabulary: vocabulary)
        let (loaded, report) = try PretrainedLoader.load(directory: folder)
        XCTAssertTrue(report.quantized)
        XCTAssertEqual(loaded.embeddingQuantizers.first { $0.name == q.name }?.step, 4)
        XCTAssertEqual(loaded.embeddingQuantizers.first { $0.name == q.name }?.settings.startStep, 2)
    }
}
