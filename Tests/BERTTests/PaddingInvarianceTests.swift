import Foundation
import XCTest
@testable import BERT
@testable import Tensor

/// An example's logits do not depend on how far its batch is padded: attention runs over its
/// real keys only, so training's evaluation, the int8 runtime and any batching agree bit for bit.
final class PaddingInvarianceTests: XCTestCase {
    func testLogitsAreBitIdenticalWhateverThePaddingLength() throws {
        Parallel.configure(threads: 2)
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                intermediateSize: 24, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                                maxPositionEmbeddings: 40)
        let model = BertForSequenceClassification(config: config, numLabels: 3)
        var rng = SplitMix64(seed: 9)
        for i in 0..<model.layout.count { model.parameters[i] = Float(rng.nextNormal() * 0.2) }
        let tokens: [Int32] = [2, 7, 9, 11, 13, 17, 3]
        func logits(paddedTo T: Int, quantized: Bool) -> [Float] {
            let pad = T - tokens.count
            let batch = Batch(size: 1, seqLen: T, inputIds: tokens + [Int32](repeating: 0, count: pad),
                              tokenTypeIds: [Int32](repeating: 0, count: T),
                              attentionMask: [Float](repeating: 1, count: tokens.count) + [Float](repeating: 0, count: pad))
            return Array(model.forward(batch, mode: .eval))
        }
        let plain = [7, 8, 16, 33].map { logits(paddedTo: $0, quantized: false) }
        for l in plain.dropFirst() { XCTAssertEqual(l.map(\.bitPattern), plain[0].map(\.bitPattern), "FP32") }
        // Quantized evaluation (thresholds from one training forward on the unpadded batch).
        try model.enableQuantization(.q8bertPaper)
        let calibration = Batch(size: 1, seqLen: tokens.count, inputIds: tokens,
                                tokenTypeIds: [Int32](repeating: 0, count: tokens.count),
                                attentionMask: [Float](repeating: 1, count: tokens.count), labels: [1])
        model.forward(calibration, mode: .train(seed: 1, step: 0))
        let quantized = [7, 8, 16, 33].map { logits(paddedTo: $0, quantized: true) }
        for l in quantized.dropFirst() { XCTAssertEqual(l.map(\.bitPattern), quantized[0].map(\.bitPattern), "int8 evaluation") }
        XCTAssertNotEqual(quantized[0], plain[0], "quantization changes the logits")
    }
}
