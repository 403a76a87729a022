import XCTest
@testable import Tensor

/// Finite-difference checking for FP32 kernels. A kernel's scalar objective is
/// L = sum_i out_i * w_i for fixed random weights w (so every output matters); the analytic
/// input gradient (backward with dOut = w) is compared with central differences of L,
/// accumulated in double.
enum FD {
    /// Step for central differences in float: large enough to beat rounding, small enough
    /// for the truncation error of these smooth kernels.
    static let step: Float = 1e-2
    /// Named tolerance: max |analytic - numeric| <= tolerance * max(1, max |numeric|).
    static let tolerance: Double = 5e-3

    static func random(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(g.nextNormal() * scale) }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks `analytic` (dL/dx) against central differences of `objective(x)`.
    static func check(_ name: String, x: [Float], analytic: [Float], file: StaticString = #filePath,
                      line: UInt = #line, objective: ([Float]) -> Double) {
        XCTAssertEqual(x.count, analytic.count, "\(name): gradient size", file: file, line: line)
        var numeric = [Double](repeating: 0, count: x.count)
        var xp = x
        for i in 0..<x.count {
            let orig = xp[i]
            xp[i] = orig + step; let fp = objective(xp)
            xp[i] = orig - step; let fm = objective(xp)
            xp[i] = orig
            numeric[i] = (fp - fm) / Double(2 * step)
        }
        let scale = max(1, numeric.map(abs).max() ?? 0)
        let worst = zip(analytic, numeric).map { abs(Double($0.0) - $0.1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, tolerance,
                                 "\(name): max |analytic - numeric| = \(worst) (scale \(scale))", file: file, line: line)
        XCTAssertGreaterThan(analytic.map { abs($0) }.max() ?? 0, 0, "\(name): gradient is all zero", file: file, line: line)
    }
}
