import CKernels
import XCTest

/// `q8_quantize_int8`, the runtime's input quantizer, is total: every float, NaN and the
/// infinities included, maps to a value in [-127, 127]. A NaN (an activation poisoned by a
/// hostile or overflowing model) goes to 0: converting NaN to an integer type is undefined
/// behaviour in C (UBSan's float-cast-overflow, found by Int8ModelFuzz, docs/fuzzing.md).
final class QuantizeInt8Tests: XCTestCase {
    func testNaNAndInfinitiesMapIntoRange() {
        let inputs: [Float] = [.nan, -.nan, .signalingNaN, .infinity, -.infinity, 1e30, -1e30, 0.5, 1.5, -2.5, 126.6, -0.0]
        let expected: [Int8] = [0, 0, 0, 127, -127, 127, -127, 0, 2, -2, 127, 0]
        // Lengths that exercise the vector body and the tail of the AVX-512 path.
        for repeats in [1, 3, 40] {
            let x = (0..<repeats).flatMap { _ in inputs }
            var out = [Int8](repeating: 99, count: x.count)
            q8_quantize_int8(&out, x, x.count, 1)
            XCTAssertEqual(out, (0..<repeats).flatMap { _ in expected }, "n = \(x.count)")
        }
    }

    func testInfiniteScale() {
        // A scale that overflowed to infinity: 0 * inf is NaN, which must not reach the cast.
        let x: [Float] = [0, 1e-30, -1e-30, 3]
        var out = [Int8](repeating: 99, count: x.count)
        q8_quantize_int8(&out, x, x.count, .infinity)
        XCTAssertEqual(out, [0, 127, -127, 127])
    }
}
