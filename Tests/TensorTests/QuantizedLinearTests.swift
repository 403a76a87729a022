import CKernels
import XCTest
@testable import Tensor

/// The quantized Linear of quantization-aware training on the int8 kernels
/// (`quantizedLinearForward`, `PackedInt8Weights`), against independent references: an
/// Int64 loop for the integer product, `q8_fake_quantize` for the weight's fake quantization.
final class QuantizedLinearTests: XCTestCase {
    override func setUp() { Parallel.configure(threads: 2) }

    /// The integers q8_fake_quantize rounds to, computed in double: round-half-even(clamp(x S)).
    func reference(_ x: Float, _ scale: Float, _ maxQ: Float) -> Float {
        let v = min(max(x * scale, -maxQ), maxQ)
        return v.rounded(.toNearestOrEven)
    }

    func testFakeQuantizeInt8MatchesFakeQuantizeAndItsIntegers() {
        var rng = SplitMix64(seed: 3)
        // Ties (x S = k + 0.5), values past the clamp, NaN and the infinities, over lengths
        // that reach the vector body and the tails.
        let special: [Float] = [0.5, 1.5, -2.5, 126.5, 200, -300, .nan, .infinity, -.infinity, 0, -0.0]
        for n in [1, 7, 16, 33, 1000] {
            let x = (0..<n).map { i in i < special.count ? special[i] / 12.7 : Float(rng.nextNormal()) * 4 }
            for (scale, maxQ) in [(Float(12.7), Float(127)), (3.1, 7), (0, 127)] {
                var fq = [Float](repeating: 9, count: n), q = [Int8](repeating: 9, count: n)
                var expected = [Float](repeating: 9, count: n)
                q8_fake_quantize_int8(&fq, &q, x, n, scale, maxQ)
                q8_fake_quantize(&expected, x, n, scale, maxQ)
                for i in 0..<n {
                    XCTAssertTrue(fq[i].bitPattern == expected[i].bitPattern || (fq[i].isNaN && expected[i].isNaN),
                                  "n \(n) scale \(scale): fq[\(i)] \(fq[i]) vs q8_fake_quantize \(expected[i])")
                    let r = scale == 0 ? 0 : reference(x[i], scale, maxQ)
                    XCTAssertEqual(q[i], r.isNaN ? 0 : Int8(r), "n \(n) scale \(scale): q[\(i)] of \(x[i])")
                }
            }
        }
    }

    /// Random x [M, K], W [N, K] and the exact result: sum_k q(x) q(W) in Int64.
    struct Case {
        let m: Int, n: Int, k: Int, x: [Float], w: [Float], sx: Float, sw: Float
        init(m: Int, n: Int, k: Int, seed: UInt64, saturate: Bool = false) {
            var rng = SplitMix64(seed: seed)
            (self.m, self.n, self.k) = (m, n, k)
            // saturate: every value in the top fifth of its range (q in about [101, 127], one sign),
            // so that sums over K = 4096 reach 4e7 to 6.6e7, past 2^24.
            func value(_ scale: Float) -> Float {
                saturate ? scale * (0.8 + 0.2 * Float(rng.next() % 1000) / 999) : Float(rng.nextNormal()) * scale
            }
            x = (0..<m * k).map { _ in value(1) }
            w = (0..<n * k).map { _ in value(0.05) }
            sx = 127 / x.map(abs).max()!
            sw = 127 / w.map(abs).max()!
        }
        func exact(_ r: Int, _ c: Int, q: (Float, Float) -> Float) -> Int64 {
            (0..<k).reduce(Int64(0)) { s, i in s + Int64(q(x[r * k + i], sx)) * Int64(q(w[c * k + i], sw)) }
        }
    }

    /// Evaluation's form: y = float(sum q(x) q(W) + b32) / (S_x S_w), bit for bit, on sums far
    /// past 2^24 (K = 4096 saturated: 127 * 127 * 4096 = 6.6e7), where an FP32 GEMM of the same
    /// integers is no longer exact; and on every int8 path this CPU has (the ISA cap).
    func testInt32SumsAreExactPast2To24() {
        for (c, saturate) in [(Case(m: 24, n: 32, k: 4096, seed: 1, saturate: true), true),
                              (Case(m: 130, n: 48, k: 384, seed: 2), false)] {
            let weights = PackedInt8Weights(outFeatures: c.n, inFeatures: c.k)
            var fq = [Float](repeating: 0, count: c.n * c.k)
            weights.pack(fakeQuantized: &fq, from: c.w, scale: c.sw, maxQ: 127)
            let bias = (0..<c.n).map { Int32($0 * 1000 - 7) }
            for j in 0..<c.n { weights.int32Bias[j] = bias[j] }
            let factor = 1 / (c.sx * c.sw)
            var beyond = 0
            defer { _ = InstructionSet.cap(nil) }
            for isa in InstructionSet.allCases where isa <= InstructionSet.detected {
                XCTAssertEqual(InstructionSet.cap(isa), isa)
                var y = [Float](repeating: 0, count: c.m * c.n)
                quantizedLinearForward(out: &y, input: c.x, rows: c.m, weights: weights, inputScale: c.sx,
                                       weightScale: c.sw, maxQ: 127, floatBias: nil, int32Bias: weights.int32Bias)
                beyond = 0
                for r in 0..<c.m {
                    for j in 0..<c.n {
                        let acc = c.exact(r, j) { self.reference($0, $1, 127) } + Int64(bias[j])
                        if abs(acc) >= 1 << 24 { beyond += 1 }
                        let expected = Float(Int32(acc)) * factor
                        XCTAssertEqual(y[r * c.n + j].bitPattern, expected.bitPattern,
                                       "\(isa) (int8 path \(InstructionSet.int8Path)): y[\(r), \(j)] \(y[r * c.n + j]) vs \(expected)")
                    }
                }
            }
            if saturate {
                XCTAssertEqual(beyond, c.m * c.n, "the saturated case's sums are all past 2^24")
                // The FP32 GEMM of the same integers (the reference path) rounds them.
                var qx = [Float](repeating: 0, count: c.m * c.k), qw = [Float](repeating: 0, count: c.n * c.k)
                q8_quantize_values(&qx, c.x, qx.count, c.sx, 127)
                q8_quantize_values(&qw, c.w, qw.count, c.sw, 127)
                var f = [Float](repeating: 0, count: c.m * c.n)
                linearForward(out: &f, input: qx, weight: qw, bias: nil, rows: c.m, inFeatures: c.k, outFeatures: c.n)
                var rounded = 0
                for r in 0..<c.m {
                    for j in 0..<c.n where Double(f[r * c.n + j]) != Double(c.exact(r, j) { self.reference($0, $1, 127) }) {
                        rounded += 1
                    }
                }
                XCTAssertGreaterThan(rounded, c.m * c.n / 2, "an FP32 GEMM of these integers rounds most sums past 2^24")
            }
        }
    }

    /// Training's form: y = q(x) q(W)^T / (S_x S_w) + b (FP32 bias) against the FP32 GEMM of the
    /// fake-quantized values within rounding, with padding rows and a zero scale.
    func testTrainingFormMatchesFakeQuantizedFP32Product() {
        let c = Case(m: 97, n: 72, k: 200, seed: 5)
        let bias = (0..<c.n).map { Float($0) * 0.01 - 0.3 }
        let weights = PackedInt8Weights(outFeatures: c.n, inFeatures: c.k)
        var fqW = [Float](repeating: 0, count: c.n * c.k)
        weights.pack(fakeQuantized: &fqW, from: c.w, scale: c.sw, maxQ: 127)
        var y = [Float](repeating: 0, count: c.m * c.n)
        quantizedLinearForward(out: &y, input: c.x, rows: c.m, weights: weights, inputScale: c.sx, weightScale: c.sw,
                               maxQ: 127, floatBias: bias)
        var fqX = [Float](repeating: 0, count: c.m * c.k), ref = [Float](repeating: 0, count: c.m * c.n)
        q8_fake_quantize(&fqX, c.x, fqX.count, c.sx, 127)
        linearForward(out: &ref, input: fqX, weight: fqW, bias: bias, rows: c.m, inFeatures: c.k, outFeatures: c.n)
        var worst: Float = 0
        for i in 0..<y.count { worst = max(worst, abs(y[i] - ref[i]) / max(abs(ref[i]), 1)) }
        XCTAssertLessThanOrEqual(worst, Self.roundingTolerance, "int8 vs FP32 product of the fake-quantized values")
        // S_x = 0 (a zero input threshold): everything quantizes to 0, y = b.
        quantizedLinearForward(out: &y, input: c.x, rows: c.m, weights: weights, inputScale: 0, weightScale: c.sw,
                               maxQ: 127, floatBias: bias)
        XCTAssertEqual(Array(y[(c.n * 5)..<(c.n * 6)]), bias)
    }

    /// Relative to max(|y|, 1): FP32 summation order over K = 200 products, about K * 2^-24.
    static let roundingTolerance: Float = 2e-5
}
