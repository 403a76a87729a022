import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// An example's logits do not depend on how far its batch is padded: attention runs over its
/// real keys only, so training's evaluation, the int8 runtime and any batching agree bit for bit.
final class PaddingInvarianceTests: XCTestCase {
    /// On every instruction-set level this CPU has (the FP32 kernels' builds round differently,
    /// and OpenBLAS's result for a row depends on the GEMM's shape: evaluation packs its GEMMs
    /// to the token rows, so no shape depends on the padding), and with the example at
    /// different places in its batch.
    func testLogitsAreBitIdenticalWhateverThePaddingLength() throws {
        defer { InstructionSet.cap(nil) }
        for level in InstructionSet.allCases where level <= InstructionSet.detected {
            XCTAssertEqual(InstructionSet.cap(level), level)
            try checkPaddingInvariance(level: "\(level)")
        }
    }

    func checkPaddingInvariance(level: String) throws {
        Parallel.configure(threads: 2)
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                intermediateSize: 24, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                                maxPositionEmbeddings: 40)
        let model = BertForSequenceClassification(config: config, numLabels: 3)
        var rng = SplitMix64(seed: 9)
        for i in 0..<model.layout.count { model.parameters[i] = Float(rng.nextNormal() * 0.2) }
        let tokens: [Int32] = [2, 7, 9, 11, 13, 17, 3]
        let other: [Int32] = [2, 5, 3]   // a shorter example placed before it in 2-example batches
        /// The logits of `tokens` in a batch padded to T, alone or after `other`.
        func logits(paddedTo T: Int, second: Bool) -> [Float] {
            let examples = second ? [other, tokens] : [tokens]
            var ids = [Int32](), mask = [Float]()
            for e in examples {
                ids += e + [Int32](repeating: 0, count: T - e.count)
                mask += [Float](repeating: 1, count: e.count) + [Float](repeating: 0, count: T - e.count)
            }
            let batch = Batch(size: examples.count, seqLen: T, inputIds: ids,
                              tokenTypeIds: [Int32](repeating: 0, count: ids.count), attentionMask: mask)
            let all = Array(model.forward(batch, mode: .eval))
            return Array(all.suffix(3))
        }
        // The same examples padded further give the same bits (another batch of examples is
        // another GEMM shape: compared within each composition).
        let shapes = [(7, false), (8, false), (16, false), (33, false), (7, true), (12, true), (33, true)]
        func assertInvariant(_ l: [[Float]], _ what: String) {
            for second in [false, true] {
                let group = shapes.indices.filter { shapes[$0].1 == second }
                for i in group.dropFirst() {
                    XCTAssertEqual(l[i].map(\.bitPattern), l[group[0]].map(\.bitPattern),
                                   "\(what), \(level), padded to \(shapes[i].0) instead of \(shapes[group[0]].0), after another example: \(second)")
                }
            }
        }
        let plain = shapes.map { logits(paddedTo: $0.0, second: $0.1) }
        assertInvariant(plain, "FP32")
        // Quantized evaluation (thresholds from one training forward on the unpadded batch).
        try model.enableQuantization(.allOutputs)
        let calibration = Batch(size: 1, seqLen: tokens.count, inputIds: tokens,
                                tokenTypeIds: [Int32](repeating: 0, count: tokens.count),
                                attentionMask: [Float](repeating: 1, count: tokens.count), labels: [1])
        model.forward(calibration, mode: .train(seed: 1, step: 0))
        let quantized = shapes.map { logits(paddedTo: $0.0, second: $0.1) }
        assertInvariant(quantized, "int8 evaluation")
        XCTAssertEqual(quantized[0], quantized[4], "int8 evaluation is exact: the batch's other examples do not matter")
        XCTAssertNotEqual(quantized[0], plain[0], "quantization changes the logits")
    }
}
