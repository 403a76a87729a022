import XCTest
@testable import Tensor

final class DropoutTests: XCTestCase {
    func testMaskIsDeterministicAndHasTheRightRate() {
        Parallel.configure(threads: 2)
        let rows = 64, cols = 384, p: Float = 0.1
        let x = [Float](repeating: 1, count: rows * cols)
        func run(_ key: UInt64) -> ([Float], [UInt8]) {
            var y = [Float](repeating: 0, count: rows * cols)
            var mask = [UInt8](repeating: 0, count: rows * cols)
            dropoutForward(out: &y, mask: &mask, input: x, rows: rows, cols: cols, probability: p) {
                hashKey(key, 7, 3, UInt64($0))
            }
            return (y, mask)
        }
        let (y1, m1) = run(42), (y2, m2) = run(42), (_, m3) = run(43)
        XCTAssertEqual(m1, m2, "same key, same mask")
        XCTAssertNotEqual(m1, m3, "another key, another mask")
        let dropped = Double(m1.filter { $0 == 0 }.count) / Double(m1.count)
        // 24576 Bernoulli(0.1) draws: standard deviation 0.0019; 5 sigma.
        XCTAssertEqual(dropped, 0.1, accuracy: 0.0095)
        for i in 0..<y1.count { XCTAssertEqual(y1[i], m1[i] == 1 ? 1 / (1 - p) : 0) }
        XCTAssertEqual(y1, y2)
        // Backward scales by the same mask.
        var dx = [Float](repeating: 0, count: rows * cols)
        dropoutBackward(dInput: &dx, dOut: x, mask: m1, probability: p, count: rows * cols)
        XCTAssertEqual(dx, y1)
    }

    func testRowMaskDoesNotDependOnThreadCount() {
        let rows = 33, cols = 50
        let x = FD.random(rows * cols, seed: 1)
        func run(threads: Int) -> [UInt8] {
            Parallel.configure(threads: threads)
            var y = [Float](repeating: 0, count: rows * cols)
            var mask = [UInt8](repeating: 0, count: rows * cols)
            dropoutForward(out: &y, mask: &mask, input: x, rows: rows, cols: cols, probability: 0.3) { UInt64($0) &* 31 }
            return mask
        }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
        Parallel.configure(threads: 2)
    }
}
