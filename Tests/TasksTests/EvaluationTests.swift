import Foundation
import XCTest
@testable import Tasks

/// Task metric sets, evaluations and model selection.
final class EvaluationTests: XCTestCase {
    func testMRPCReportsAccuracyAndF1WithF1Main() throws {
        // Hand values of MetricsTests: accuracy 0.6, F1 2/3.
        let evaluation = try GlueTask.mrpc.spec.metrics.evaluate(predictions: [1, 0, 1, 1, 0], gold: [1, 1, 1, 0, 0])
        XCTAssertEqual(Set(evaluation.values.keys), ["accuracy", "f1"])
        XCTAssertEqual(evaluation.values["accuracy"], 0.6)
        XCTAssertEqual(evaluation.mainName, "f1")
        XCTAssertEqual(evaluation.main, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(evaluation.description, "f1 0.6667 (accuracy 0.6000, f1 0.6667)")
    }

    func testCoLAReportsMatthews() throws {
        let evaluation = try GlueTask.cola.spec.metrics.evaluate(predictions: [1, 1, 1, 0, 1, 0, 0, 0],
                                                                 gold: [1, 1, 1, 1, 0, 0, 0, 0])
        XCTAssertEqual(evaluation.values, ["mcc": 0.5])
        XCTAssertEqual(evaluation.main, 0.5)
        XCTAssertEqual(evaluation.description, "mcc 0.5000 (mcc 0.5000)")
    }

    func testSTSBReportsPearsonAndSpearman() throws {
        let evaluation = try GlueTask.stsb.spec.metrics.evaluate(predictions: [1, 2, 2, 3], gold: [1, 1, 2, 2] as [Float])
        XCTAssertEqual(evaluation.mainName, "pearson")
        // Pearson: dx = (−1,0,0,1), dy = (−.5,−.5,.5,.5): 1 / √(2·1) = 1/√2; Spearman 1/√2 too (see MetricsTests).
        XCTAssertEqual(evaluation.values["pearson"] ?? 0, 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(evaluation.values["spearman"] ?? 0, 0.5.squareRoot(), accuracy: 1e-12)
        // Constant predictions: 0 (scipy says NaN), a valid but losing score.
        let constant = try GlueTask.stsb.spec.metrics.evaluate(predictions: [2.5, 2.5, 2.5], gold: [1, 2, 3] as [Float])
        XCTAssertEqual(constant.values, ["pearson": 0, "spearman": 0])
        XCTAssertFalse(constant.better(than: evaluation))
    }

    func testInputErrors() {
        let metrics = GlueTask.sst2.spec.metrics
        XCTAssertEqual(expectError(MetricError.self) { try metrics.evaluate(predictions: [1], gold: [1, 0]) },
                       .countMismatch(predictions: 1, gold: 2))
        let range = expectError(MetricError.self) { try metrics.evaluate(predictions: [0, 2], gold: [1, 0], classes: 2) }
        XCTAssertEqual(range, .classOutOfRange(position: 1, value: 2, classes: 2))
        assertMessage(range, contains: ["class id 2 at position 1", "0..<2"])
        XCTAssertEqual(expectError(MetricError.self) { try metrics.evaluate(predictions: [0], gold: [-1], classes: 2) },
                       .classOutOfRange(position: 0, value: -1, classes: 2))
        XCTAssertEqual(expectError(MetricError.self) { try metrics.evaluate(predictions: [0.5], gold: [1] as [Float]) },
                       .needsClassIds(metric: .accuracy))
        XCTAssertNotNil(expectError(MetricError.self) { try metrics.evaluate(predictions: [0], gold: [0], classes: -3) })
        // Empty input: defined, all zero.
        XCTAssertEqual(try metrics.evaluate(predictions: [Int](), gold: [Int]()).main, 0)
    }

    func testDoublePredictionsForEitherKind() throws {
        // Class ids as Double (the trainer's form): same values as with Int.
        let mrpc = try GlueTask.mrpc.spec.metrics.evaluate(predictions: [1, 0, 1, 1, 0] as [Double],
                                                           gold: [1, 1, 1, 0, 0] as [Double])
        XCTAssertEqual(mrpc, try GlueTask.mrpc.spec.metrics.evaluate(predictions: [1, 0, 1, 1, 0], gold: [1, 1, 1, 0, 0]))
        // NaN, infinite and huge predictions count as no class: wrong, but no trap.
        let odd = try GlueTask.sst2.spec.metrics.evaluate(predictions: [.nan, .infinity, 1e300, 1],
                                                          gold: [1, 1, 1, 1] as [Double])
        XCTAssertEqual(odd.values["accuracy"], 0.25)
        // Regression values: Pearson and Spearman as with Float.
        let stsb = try GlueTask.stsb.spec.metrics.evaluate(predictions: [1, 2, 2, 3] as [Double], gold: [1, 1, 2, 2] as [Double])
        XCTAssertEqual(stsb.main, 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(expectError(MetricError.self) {
            try GlueTask.stsb.spec.metrics.evaluate(predictions: [1] as [Double], gold: [] as [Double])
        }, .countMismatch(predictions: 1, gold: 0))
    }

    func testBetterThan() {
        func evaluation(_ main: Double) -> Evaluation {
            Evaluation(values: ["accuracy": main], names: ["accuracy"], mainName: "accuracy")
        }
        XCTAssertTrue(evaluation(0.5).better(than: nil))
        XCTAssertTrue(evaluation(0.6).better(than: evaluation(0.5)))
        XCTAssertFalse(evaluation(0.5).better(than: evaluation(0.5)))  // ties keep the earlier model
        XCTAssertFalse(evaluation(0.4).better(than: evaluation(0.5)))
        XCTAssertTrue(evaluation(-0.2).better(than: evaluation(-0.3)))  // MCC and correlations can be negative
        XCTAssertFalse(evaluation(.nan).better(than: evaluation(0.1)))
        XCTAssertTrue(evaluation(0).better(than: evaluation(.nan)))
        XCTAssertTrue(evaluation(.nan).better(than: nil))  // the first evaluation is always kept
        XCTAssertTrue(Metric.allCases.allSatisfy(\.higherIsBetter))
        // A main metric missing from the values is NaN.
        XCTAssertTrue(Evaluation(values: [:], names: [], mainName: "f1").main.isNaN)
        XCTAssertEqual(Evaluation(values: ["mcc": -0.25, "x": 1e300], names: ["mcc", "x"], mainName: "mcc").description.prefix(24),
                       "mcc -0.2500 (mcc -0.2500")
    }

    func testDatasetEvaluation() throws {
        let dev = try GlueTask.sst2.spec.load(.dev, from: Fixtures.url("sst2"))  // gold [1, 0, 1]
        let evaluation = try dev.evaluate(predictions: [1, 1, 1])
        XCTAssertEqual(evaluation.mainName, "accuracy")
        XCTAssertEqual(evaluation.main, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(expectError(MetricError.self) { try dev.evaluate(predictions: [1, 1]) },
                       .countMismatch(predictions: 2, gold: 3))
        XCTAssertEqual(expectError(MetricError.self) { try dev.evaluate(predictions: [1, 1, 2]) },
                       .classOutOfRange(position: 2, value: 2, classes: 2))
        XCTAssertNotNil(expectError(MetricError.self) { try dev.evaluate(predictions: [1, 1, 1] as [Float]) })

        let test = try GlueTask.sst2.spec.load(.test, from: Fixtures.url("sst2"))
        let unlabeled = expectError(MetricError.self) { try test.evaluate(predictions: [0, 0, 0]) }
        XCTAssertEqual(unlabeled, .unlabeled(file: test.url.path, example: 0))
        assertMessage(unlabeled, contains: ["sst2/test.tsv", "no gold label"])

        let stsb = try GlueTask.stsb.spec.load(.dev, from: Fixtures.url("stsb"))  // gold [5, 4.75, 5]
        let scores = try stsb.evaluate(predictions: [4.0, 3.0, 4.5] as [Float])
        XCTAssertEqual(Set(scores.values.keys), ["pearson", "spearman"])
        XCTAssertNotNil(expectError(MetricError.self) { try stsb.evaluate(predictions: [1, 2, 3]) })

        let mnli = try GlueTask.mnli.spec.load(.dev, from: Fixtures.url("mnli"))  // gold [2, 0, 1]
        XCTAssertEqual(try mnli.evaluate(predictions: [2, 0, 0]).values, ["accuracy": 2.0 / 3.0])
    }
}
