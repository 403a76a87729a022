import XCTest
import CKernels
@testable import Tensor

/// The vectorized exp and normal CDF against libm in double.
final class VecMathTests: XCTestCase {
    /// Named tolerance: relative error of the float kernels.
    static let relTolerance = 1e-6

    func testExp() {
        var worst = 0.0
        var x: Float = -80
        while x < 80 {
            let ref = Foundation.exp(Double(x)), got = Double(q8_ref_expf(x))
            worst = max(worst, abs(got - ref) / ref)
            x += 0.0137
        }
        XCTAssertLessThan(worst, Self.relTolerance, "exp worst relative error \(worst)")
        XCTAssertEqual(q8_ref_expf(-100), 0)
    }

    func testNormalCDFBothTails() {
        // erfcc's fractional error is 1.2e-7; float arithmetic adds a few ulp, and in the far
        // left tail the float argument -z^2 + poly of exp (z^2 = x^2 / 2 up to 40) carries an
        // absolute rounding error of up to 2 ulp, 2.4e-7 z^2, which exp turns into the same
        // relative error: the bound grows with it.
        var x: Float = -9
        while x < 9 {
            let ref = 0.5 * Foundation.erfc(-Double(x) / 2.0.squareRoot())
            let got = Double(q8_ref_normal_cdf(x))
            let bound = Self.relTolerance + 2.4e-7 * Double(x * x) / 2
            XCTAssertLessThan(abs(got - ref) / ref, bound, "Phi(\(x))")
            x += 0.00731
        }
    }

    func testGELUMatchesErfDefinition() {
        let xs = stride(from: Float(-8), through: 8, by: 0.01).map { $0 }
        var y = [Float](repeating: 0, count: xs.count)
        geluForward(out: &y, input: xs, count: xs.count)
        for (x, g) in zip(xs, y) {
            let ref = Double(x) * 0.5 * Foundation.erfc(-Double(x) / 2.0.squareRoot())
            XCTAssertEqual(Double(g), ref, accuracy: 1e-6 * max(1, abs(ref)) + 1e-12, "gelu(\(x))")
        }
    }

    func testTanhAgainstLibm() {
        let xs = stride(from: Float(-10), through: 10, by: 0.003).map { $0 }
        var y = [Float](repeating: 0, count: xs.count)
        tanhForward(out: &y, input: xs, count: xs.count)
        for (x, t) in zip(xs, y) {
            XCTAssertEqual(Double(t), Foundation.tanh(Double(x)), accuracy: Self.relTolerance * abs(Double(t)) + 1e-9, "tanh(\(x))")
        }
    }
}
