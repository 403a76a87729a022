import XCTest
import CKernels
@testable import Tensor

/// The instruction-set levels of the FP32 kernels: every level this CPU has is a real build
/// that matches the math (GELU against erf, AdamW against a double-precision reference), the
/// levels differ in the last bits (so a cap matters), and a cap is honoured.
final class InstructionSetTests: XCTestCase {
    override func tearDown() { InstructionSet.cap(nil) }

    /// Levels this CPU runs, lowest first. On an AVX2-only CPU the AVX-512 build cannot run;
    /// its results are covered on AVX-512 machines by these same tests.
    var levels: [InstructionSet] { InstructionSet.allCases.filter { $0 <= InstructionSet.detected } }

    func testNamesRoundTripAndBadNamesAreRefused() throws {
        for level in InstructionSet.allCases { XCTAssertEqual(InstructionSet(name: "\(level)"), level) }
        XCTAssertNil(InstructionSet(name: "sse4"))
        XCTAssertEqual(try InstructionSet.environmentCap(["Q8_MAX_ISA": "avx2"]), .avx2)
        XCTAssertNil(try InstructionSet.environmentCap([:]))
        XCTAssertThrowsError(try InstructionSet.environmentCap(["Q8_MAX_ISA": "AVX-2"])) { error in
            XCTAssertTrue("\(error)".contains("Q8_MAX_ISA") && "\(error)".contains("avx2"), "\(error)")
        }
    }

    func testCapBoundsTheLevelAndTheInt8Path() {
        XCTAssertEqual(InstructionSet.cap(nil), InstructionSet.detected)
        XCTAssertEqual(InstructionSet.cap(.baseline), .baseline)
        XCTAssertEqual(InstructionSet.current, .baseline)
        XCTAssertEqual(InstructionSet.int8Path, "scalar", "a baseline cap keeps the int8 GEMM on its scalar path")
        XCTAssertEqual(InstructionSet.cap(.avx512), InstructionSet.detected, "a cap above the CPU changes nothing")
    }

    /// Named tolerance: GELU's relative error on every level (as VecMathTests).
    static let geluTolerance = 1e-6
    /// Named tolerance: AdamW's parameter against double precision, relative.
    static let adamTolerance = 2e-6

    func testEveryLevelComputesTheMath() {
        let xs = stride(from: Float(-8), through: 8, by: 0.0037).map { $0 }
        for level in levels {
            InstructionSet.cap(level)
            var y = [Float](repeating: 0, count: xs.count)
            q8_gelu_forward(&y, xs, xs.count)
            for (x, g) in zip(xs, y) {
                let ref = Double(x) * 0.5 * Foundation.erfc(-Double(x) / 2.0.squareRoot())
                XCTAssertEqual(Double(g), ref, accuracy: Self.geluTolerance * max(1, abs(ref)), "\(level): gelu(\(x))")
            }
            let (p, m, v, g) = adamInputs()
            var param = p, mm = m, vv = v
            q8_adamw_update(&param, &mm, &vv, g, p.count, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9, 1 - 0.999)
            for i in 0..<p.count {
                let mi = 0.9 * Double(m[i]) + 0.1 * Double(g[i]), vi = 0.999 * Double(v[i]) + 0.001 * Double(g[i]) * Double(g[i])
                let ref = Double(p[i]) * (1 - 1e-5) - 1e-3 / 0.1 * mi / ((vi / 0.001).squareRoot() + 1e-8)
                let update = abs(ref - Double(p[i]))
                XCTAssertEqual(Double(param[i]), ref, accuracy: Self.adamTolerance * (abs(Double(p[i])) + update), "\(level): adamw[\(i)]")
            }
        }
    }

    /// The builds are distinct: adjacent levels give different bits somewhere, which is why
    /// mixed-CPU jobs need a common level. AdamW is elementwise, so only FMA contraction
    /// separates its builds (baseline vs AVX2; AVX2 + FMA and AVX-512 agree on it, as measured
    /// on a Zen 4); LayerNorm's row sums also differ in vector width, in release builds: at -O0
    /// (debug) nothing is vectorized and the AVX2 and AVX-512 builds agree, so that pair is
    /// compared only when the kernels were optimized (checked with a C harness on a Zen 4: at
    /// -O2 LayerNorm differs between the two, at -O0 it does not).
    func testAdjacentLevelsRoundDifferently() throws {
        guard levels.count > 1 else { throw XCTSkip("this CPU runs only the baseline build; AVX2 and AVX-512 machines run this test") }
        var outputs: [[UInt32]] = []
        for level in levels {
            InstructionSet.cap(level)
            var (p, m, v, g) = adamInputs()
            q8_adamw_update(&p, &m, &v, g, p.count, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1 - 0.9, 1 - 0.999)
            // Rows of 384 (the MiniLM's hidden size) for LayerNorm, of 67 for softmax.
            let rows = 8, dim = 384, x = Array(p.prefix(rows * dim / 2)) + Array(g.prefix(rows * dim / 2))
            let ones = [Float](repeating: 1, count: dim), zeros = [Float](repeating: 0, count: dim)
            var norm = [Float](repeating: 0, count: rows * dim), mean = [Float](repeating: 0, count: rows)
            var rstd = mean
            q8_layernorm_forward(&norm, &mean, &rstd, x, ones, zeros, rows, dim, 1e-12)
            var probs = [Float](repeating: 0, count: 15 * 67)
            q8_softmax_masked_forward(&probs, Array(x.prefix(15 * 67)), nil, 15, 67)
            outputs.append(p.map(\.bitPattern) + m.map(\.bitPattern) + v.map(\.bitPattern) + norm.map(\.bitPattern)
                           + mean.map(\.bitPattern) + rstd.map(\.bitPattern) + probs.map(\.bitPattern))
        }
        for i in 1..<outputs.count where levels[i] != .avx512 || q8_kernels_optimized() == 1 {
            XCTAssertNotEqual(outputs[i], outputs[i - 1], "\(levels[i]) and \(levels[i - 1]) builds give the same AdamW, LayerNorm and softmax bits")
        }
    }

    func adamInputs() -> ([Float], [Float], [Float], [Float]) {
        var rng = SplitMix64(seed: 77)
        let n = 1003
        let p = (0..<n).map { _ in Float(rng.nextNormal()) }
        let m = (0..<n).map { _ in Float(rng.nextNormal() * 0.01) }
        let v = (0..<n).map { _ in Float(abs(rng.nextNormal()) * 1e-4) }
        let g = (0..<n).map { _ in Float(rng.nextNormal() * 0.1) }
        return (p, m, v, g)
    }
}
