import ModelFormat
import XCTest
@testable import BERT
@testable import Training

/// `--check-sync`: what the ranks compare of the Q8BERT state, and how a difference is found.
/// (Two ranks that agree: DataParallelTrainingTests run QAT with --check-sync 1.)
final class SyncCheckTests: XCTestCase {
    func testQuantizationStateNamesEveryStepAndThreshold() throws {
        let model = BertForSequenceClassification(
            config: BertConfig(vocabSize: 20, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16,
                               maxPositionEmbeddings: 8), numLabels: 2)
        try model.enableQuantization(.q8bertPaper)
        model.linearQuantizer("classifier")!.restore(step: 7, inputThreshold: 1.5, outputThreshold: 0)
        let (names, values) = Trainer.quantizationState(model)
        XCTAssertEqual(names.count, values.count)
        // Word and position embeddings (token types are FP32 in this recipe), then 8 Linears x 3.
        XCTAssertEqual(names.count, 2 + 8 * 3)
        XCTAssertEqual(names.first, "bert.embeddings.word_embeddings._step")
        let i = try XCTUnwrap(names.firstIndex(of: "classifier.input_thresh"))
        XCTAssertEqual(values[i], 1.5)
        XCTAssertEqual(values[try XCTUnwrap(names.firstIndex(of: "classifier._step"))], 7)
    }

    func testFirstDifferenceIsTheLowestRankAndValue() {
        let agree: [Float] = [1, 2, 3, 1, 2, 3, 1, 2, 3]
        XCTAssertNil(Trainer.firstDifference(agree, valuesPerRank: 3))
        // Rank 2 differs in value 1 by one ulp; rank 1 agrees.
        let ulp: [Float] = [1, 2, 3, 1, 2, 3, 1, 2.0000002, 3]
        XCTAssertTrue(Trainer.firstDifference(ulp, valuesPerRank: 3)! == (rank: 2, index: 1))
        // -0 and +0 differ in their bits: the ranks must hold the same bits.
        XCTAssertTrue(Trainer.firstDifference([0, -Float(0)], valuesPerRank: 1)! == (rank: 1, index: 0))
        XCTAssertNil(Trainer.firstDifference([], valuesPerRank: 0))
    }
}
