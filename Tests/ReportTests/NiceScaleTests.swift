import XCTest
@testable import Report

/// Axis ticks on the 1-2-5 ladder and their labels.
final class NiceScaleTests: XCTestCase {
    func testZeroToPointNineThree() {
        let s = NiceScale(min: 0, max: 0.93, targetCount: 5)
        XCTAssertEqual(s.step, 0.2, accuracy: 1e-15)
        XCTAssertEqual(s.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(NumberFormat.ticks(s.ticks, step: s.step), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    func testStepsAxis() {
        let s = NiceScale(min: 0, max: 600, targetCount: 6)
        XCTAssertEqual(s.step, 100)
        XCTAssertEqual(s.ticks, [0, 100, 200, 300, 400, 500, 600])
    }

    func testOffsetRangeStaysTight() {
        let s = NiceScale(min: 0.31, max: 0.69, targetCount: 5)
        XCTAssertEqual(s.step, 0.1, accuracy: 1e-15)
        XCTAssertEqual(s.ticks, [0.3, 0.4, 0.5, 0.6, 0.7])
    }

    func testNegativeRange() {
        let s = NiceScale(min: -3.7, max: 12.2, targetCount: 5)
        XCTAssertEqual(s.ticks, [-5, 0, 5, 10, 15])
    }

    func testNeverMoreIntervalsThanAskedFor() {
        for (lo, hi) in [(0.0, 0.93), (0.6017, 0.8509), (1.0, 637), (-0.004, 0.0071), (12.0, 4096), (0.0, 5.0001e-5)] {
            for target in 2...8 {
                let s = NiceScale(min: lo, max: hi, targetCount: target)
                XCTAssertLessThanOrEqual(s.ticks.count - 1, target, "\(lo)...\(hi) target \(target)")
                XCTAssertLessThanOrEqual(s.lower, lo)
                XCTAssertGreaterThanOrEqual(s.upper, hi)
                let mantissa = s.step / pow(10, log10(s.step).rounded(.down))
                XCTAssertTrue([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(s.step)")
            }
        }
    }

    func testLearningRateTicksAndLabels() {
        let s = NiceScale(min: 0, max: 5e-5, targetCount: 5)
        XCTAssertEqual(s.step, 1e-5, accuracy: 1e-20)
        XCTAssertEqual(NumberFormat.ticks(s.ticks, step: s.step), ["0", "1e-5", "2e-5", "3e-5", "4e-5", "5e-5"])
        XCTAssertEqual(NumberFormat.ticks([0, 5e-6, 1e-5, 1.5e-5], step: 5e-6), ["0", "5e-6", "1e-5", "1.5e-5"])
    }

    /// A threshold that barely moves (10.6020 to 10.6025): plain decimals, not 1.0602e1.
    func testNarrowRangeOfOrdinaryValuesGetsPlainDecimals() {
        let s = NiceScale(min: 10.6020, max: 10.6025, targetCount: 5)
        let labels = NumberFormat.ticks(s.ticks, step: s.step)
        XCTAssertFalse(labels.contains { $0.contains("e") }, "\(labels)")
        XCTAssertEqual(NumberFormat.ticks([30.2130, 30.2131, 30.2132], step: 1e-4), ["30.2130", "30.2131", "30.2132"])
    }

    func testLargeValuesGetSuffixes() {
        XCTAssertEqual(NumberFormat.ticks([0, 5000, 10000, 15000], step: 5000), ["0", "5k", "10k", "15k"])
        XCTAssertEqual(NumberFormat.ticks([0, 500, 1000, 1500], step: 500), ["0", "500", "1000", "1500"])
    }

    func testDegenerateAndNonFiniteRanges() {
        let flat = NiceScale(min: 2, max: 2)
        XCTAssertLessThan(flat.lower, 2)
        XCTAssertGreaterThan(flat.upper, 2)
        let zero = NiceScale(min: 0, max: 0)
        XCTAssertTrue(zero.ticks.contains(0))
        let broken = NiceScale(min: .nan, max: .infinity)
        XCTAssertEqual(broken.lower, 0)
        XCTAssertEqual(broken.upper, 1)
    }

    func testNiceStepLadder() {
        XCTAssertEqual(NiceScale.niceStep(atLeast: 0.186), 0.2, accuracy: 1e-15)
        XCTAssertEqual(NiceScale.niceStep(atLeast: 3), 5)
        XCTAssertEqual(NiceScale.niceStep(atLeast: 7), 10)
        XCTAssertEqual(NiceScale.niceStep(atLeast: 1), 1)
        XCTAssertEqual(NiceScale.niceStep(atLeast: 0.0012), 0.002, accuracy: 1e-15)
    }

    func testValueFormatting() {
        XCTAssertEqual(NumberFormat.value(0.857), "0.857")
        XCTAssertEqual(NumberFormat.value(0.85090), "0.8509")
        XCTAssertEqual(NumberFormat.value(1400), "1400")
        XCTAssertEqual(NumberFormat.value(1.2e-5), "1.2e-5")
        XCTAssertEqual(NumberFormat.value(-0.5), "-0.5")
        XCTAssertEqual(NumberFormat.value(.nan), "NaN")
        XCTAssertEqual(NumberFormat.duration(42), "42.0 s")
        XCTAssertEqual(NumberFormat.duration(300.1), "5 min 00 s")
        XCTAssertEqual(NumberFormat.duration(7384), "2 h 03 min")
        XCTAssertEqual(NumberFormat.megabytes(1400), "1.37 GB")
        XCTAssertEqual(NumberFormat.megabytes(850), "850 MB")
    }
}
