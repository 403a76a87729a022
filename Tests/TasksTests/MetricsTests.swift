import XCTest
@testable import Tasks

/// Each metric against values computed by hand (shown in the comments); they agree with
/// sklearn 1.9 / scipy (accuracy_score, f1_score, matthews_corrcoef, pearsonr, spearmanr).
final class MetricsTests: XCTestCase {
    // predictions [1,0,1,1,0] vs gold [1,1,1,0,0]:
    //   matches at 0, 2, 4                          -> accuracy 3/5
    //   tp = 2 (0, 2), fp = 1 (3), fn = 1 (1), tn = 1 (4)
    //   F1 = 2tp / (2tp + fp + fn) = 4 / 6           -> 2/3
    //   MCC = (tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn))
    //       = (2·1 − 1·1) / √(3·3·2·2) = 1/6
    let predictions = [1, 0, 1, 1, 0]
    let gold = [1, 1, 1, 0, 0]

    func testAccuracy() {
        XCTAssertEqual(Metrics.accuracy(predictions: predictions, gold: gold), 0.6)
        XCTAssertEqual(Metrics.accuracy(predictions: [2, 2], gold: [2, 2]), 1)
        XCTAssertEqual(Metrics.accuracy(predictions: [], gold: []), 0)
        XCTAssertEqual(Metrics.accuracy(predictions: [1, 0, 5], gold: [1, 1]), 0.5)  // extra prediction ignored
    }

    func testF1() {
        XCTAssertEqual(Metrics.f1(predictions: predictions, gold: gold), 2.0 / 3.0, accuracy: 1e-15)
        // tp = 3, fp = 1, fn = 1: 6 / 8.
        XCTAssertEqual(Metrics.f1(predictions: [1, 1, 1, 0, 1, 0, 0, 0], gold: [1, 1, 1, 1, 0, 0, 0, 0]), 0.75)
        XCTAssertEqual(Metrics.f1(predictions: [1, 0], gold: [1, 0]), 1)
        // No positive anywhere: undefined, 0 (sklearn's zero_division default).
        XCTAssertEqual(Metrics.f1(predictions: [0, 0, 0], gold: [0, 0, 0]), 0)
        // Positives in gold, none predicted: tp = 0 -> 0.
        XCTAssertEqual(Metrics.f1(predictions: [0, 0, 0], gold: [1, 1, 0]), 0)
        XCTAssertEqual(Metrics.f1(predictions: [], gold: []), 0)
        // Another positive class: class 0 as positive has tp = 1 (4), fp = 1 (1), fn = 1 (3): 2/4.
        XCTAssertEqual(Metrics.f1(predictions: predictions, gold: gold, positive: 0), 0.5)
    }

    func testMatthews() {
        XCTAssertEqual(Metrics.matthews(predictions: predictions, gold: gold), 1.0 / 6.0, accuracy: 1e-15)
        // tp = 3, tn = 3, fp = 1, fn = 1: (9 − 1) / √(4·4·4·4) = 8/16.
        XCTAssertEqual(Metrics.matthews(predictions: [1, 1, 1, 0, 1, 0, 0, 0], gold: [1, 1, 1, 1, 0, 0, 0, 0]), 0.5)
        XCTAssertEqual(Metrics.matthews(predictions: [0, 1, 1, 0], gold: [0, 1, 1, 0]), 1)
        XCTAssertEqual(Metrics.matthews(predictions: [1, 0, 0, 1], gold: [0, 1, 1, 0]), -1)
        // Multiclass: predictions [0,1,2,2,1,0], gold [0,1,2,1,1,2]: s = 6, c = 4,
        // predicted counts p = (2,2,2), true counts t = (1,3,2), Σp·t = 2+6+4 = 12,
        // (c·s − Σp·t) / √((s² − Σp²)(s² − Σt²)) = (24 − 12) / √((36 − 12)(36 − 14)) = 12/√528.
        XCTAssertEqual(Metrics.matthews(predictions: [0, 1, 2, 2, 1, 0], gold: [0, 1, 2, 1, 1, 2]),
                       12 / 528.0.squareRoot(), accuracy: 1e-15)
    }

    func testMatthewsDegenerateCasesAreZero() {
        // All predictions one class: s² − Σp² = 0 -> undefined -> 0 (as sklearn).
        XCTAssertEqual(Metrics.matthews(predictions: [1, 1, 1, 1], gold: [0, 1, 1, 0]), 0)
        // All gold one class.
        XCTAssertEqual(Metrics.matthews(predictions: [0, 1, 1, 0], gold: [1, 1, 1, 1]), 0)
        // Both one class, even when all correct.
        XCTAssertEqual(Metrics.matthews(predictions: [1, 1, 1], gold: [1, 1, 1]), 0)
        XCTAssertEqual(Metrics.matthews(predictions: [], gold: []), 0)
        XCTAssertEqual(Metrics.matthews(predictions: [1], gold: [0]), 0)
    }

    func testPearson() {
        // x = [1,2,3,4], y = [2,4,5,9]; means 2.5 and 5; dx = (−1.5,−.5,.5,1.5), dy = (−3,−1,0,4)
        // Σdx·dy = 4.5+.5+0+6 = 11, Σdx² = 5, Σdy² = 26 -> 11 / √130.
        XCTAssertEqual(Metrics.pearson([1, 2, 3, 4], [2, 4, 5, 9]), 11 / 130.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(Metrics.pearson([1, 2, 3], [10, 20, 30]), 1, accuracy: 1e-15)
        XCTAssertEqual(Metrics.pearson([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-15)
        XCTAssertEqual(Metrics.pearson([1, 2, 3], [3, 2, 1]), Metrics.pearson([3, 2, 1], [1, 2, 3]))
    }

    func testPearsonDegenerateCasesAreZero() {
        // scipy returns NaN for a constant side; we return 0, so such a model never wins selection.
        XCTAssertEqual(Metrics.pearson([2.5, 2.5, 2.5], [1, 2, 3]), 0)
        XCTAssertEqual(Metrics.pearson([1, 2, 3], [0.1, 0.1, 0.1]), 0)  // 0.1 has no exact mean
        XCTAssertEqual(Metrics.pearson([1], [1]), 0)
        XCTAssertEqual(Metrics.pearson([], []), 0)
        XCTAssertEqual(Metrics.pearson([1, .nan, 3], [1, 2, 3]), 0)
        XCTAssertEqual(Metrics.pearson([1, 2, .infinity], [1, 2, 3]), 0)
        // Huge values overflow the sums: 0, not NaN.
        XCTAssertEqual(Metrics.pearson([1e200, -1e200, 1e200], [1, 2, 3]), 0)
        XCTAssertEqual(Metrics.spearman([5, 5, 5], [1, 2, 3]), 0)
        XCTAssertEqual(Metrics.spearman([.nan, 1], [1, 2]), 0)
    }

    func testRanks() {
        XCTAssertEqual(Metrics.ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
        XCTAssertEqual(Metrics.ranks([3, 1, 2]), [3, 1, 2])
        XCTAssertEqual(Metrics.ranks([7, 7, 7]), [2, 2, 2])
        XCTAssertEqual(Metrics.ranks([]), [])
        XCTAssertEqual(Metrics.ranks([1, .nan, 0]), [2, 3, 1])
    }

    func testSpearmanWithTies() {
        // x = [1,2,2,3] -> ranks (1, 2.5, 2.5, 4); y = [1,1,2,2] -> ranks (1.5, 1.5, 3.5, 3.5).
        // Means 2.5; dx = (−1.5,0,0,1.5), dy = (−1,−1,1,1): Σdx·dy = 3, Σdx² = 4.5, Σdy² = 4
        // -> 3 / √18 = 1/√2.
        XCTAssertEqual(Metrics.spearman([1, 2, 2, 3], [1, 1, 2, 2]), 0.5.squareRoot(), accuracy: 1e-15)
        // x = [3,1,4,1,5,9,2,6] -> ranks (4, 1.5, 5, 1.5, 6, 8, 3, 7)
        // y = [2.7,1.8,2.8,1.8,2.8,4.5,9,4.5] -> ranks (3, 1.5, 4.5, 1.5, 4.5, 6.5, 8, 6.5)
        // means 4.5; dx = (−.5,−3,.5,−3,1.5,3.5,−1.5,2.5), dy = (−1.5,−3,0,−3,0,2,3.5,2)
        // Σdx·dy = .75+9+0+9+0+7−5.25+5 = 25.5, Σdx² = 41.5, Σdy² = 40.5 -> 25.5 / √1680.75
        // (scipy.stats.spearmanr: 0.621997473274912).
        let x: [Double] = [3, 1, 4, 1, 5, 9, 2, 6], y = [2.7, 1.8, 2.8, 1.8, 2.8, 4.5, 9, 4.5]
        XCTAssertEqual(Metrics.spearman(x, y), 25.5 / 1680.75.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(Metrics.spearman(x, y), 0.621997473274912, accuracy: 1e-12)
        // Monotonic but not linear: Spearman 1, Pearson below 1.
        XCTAssertEqual(Metrics.spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 25]), 1, accuracy: 1e-15)
        XCTAssertLessThan(Metrics.pearson([1, 2, 3, 4, 5], [1, 4, 9, 16, 25]), 0.99)
    }
}
