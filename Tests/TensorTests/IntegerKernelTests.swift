import Foundation
import XCTest
import CKernels

/// The integer-only kernels (q8intbert.h) against real-valued math in Double, each with a named
/// error bound, and the u8 x s8 GEMM against its reference bit for bit.
final class IntegerKernelTests: XCTestCase {
    typealias Rng = Int8GemmTests.Rng

    static func unit(_ rng: inout Rng) -> Double { Double(rng.below(1 << 24)) / Double(1 << 24) }

    /// floor(sqrt(n)), exactly, for small n, around squares and powers of two, and random n.
    func testIntegerSquareRootIsExact() {
        var ns: [UInt64] = Array(0...5000)
        for r: UInt64 in [1, 2, 3, 255, 256, 65535, 65536, 1 << 20, 3_037_000_499, (1 << 32) - 1] {
            ns += [r * r - 1, r * r, r * r + 1]
        }
        for b: UInt64 in 1...63 { ns += [(1 << b) - 1, 1 << b, (1 << b) + 1] }
        ns.append(UInt64.max)
        var rng = Rng(state: 7)
        ns += (0..<20000).map { _ in rng.next() >> UInt64(rng.below(64)) }
        for n in ns {
            let r = q8_isqrt64(n)
            let (sq, over) = r.multipliedReportingOverflow(by: r)
            XCTAssertTrue(!over && sq <= n, "isqrt(\(n)) = \(r): r^2 > n")
            let (next, overNext) = (r + 1).multipliedReportingOverflow(by: r + 1)
            XCTAssertTrue(overNext || next > n, "isqrt(\(n)) = \(r): (r+1)^2 <= n")
        }
    }

    /// A dyadic multiplier is within 2^-31 (relative) of its factor, and applying it is
    /// round-half-up of the exact product (checked with 128-bit arithmetic).
    func testDyadicMultipliers() {
        var rng = Rng(state: 8)
        for i in 0..<5000 {
            let m = (i % 2 == 0 ? 1.0 : -1.0) * pow(2, -30 + 60 * Self.unit(&rng))
            var d = q8_dyadic()
            XCTAssertEqual(q8_dyadic_make(m, &d), 0)
            XCTAssertEqual(Double(d.mult) / pow(2, Double(d.shift)), m, accuracy: abs(m) * 0x1p-31, "m = \(m)")
            XCTAssertTrue(abs(d.mult) >= 1 << 30 && abs(d.mult) < 1 << 31 && (0...62).contains(d.shift))
            for _ in 0..<4 {
                let x = Int64(Int32(truncatingIfNeeded: rng.next()))
                // round(x mult / 2^shift), ties up: floor((2 x mult + 2^shift) / 2^(shift + 1)).
                let p = Int128(x) * Int128(d.mult)
                let want = d.shift == 0 ? p : (2 * p + (Int128(1) << d.shift)) >> (d.shift + 1)
                XCTAssertEqual(Int128(q8_dyadic_apply(x, d)), want, "x = \(x), m = \(m)")
            }
        }
        var d = q8_dyadic()
        XCTAssertEqual(q8_dyadic_make(0, &d), 0)
        XCTAssertEqual(d.mult, 0)
        XCTAssertEqual(q8_dyadic_make(0x1p31, &d), -1, "2^31 and above are refused")
        XCTAssertEqual(q8_dyadic_make(0x1p-70, &d), 0)
        XCTAssertEqual(d.mult, 0, "below 2^-63: the factor 0")
        XCTAssertEqual(q8_dyadic_make(3 * 0x1p-40, &d), 0)
        XCTAssertEqual(Double(d.mult) * 0x1p-62, 3 * 0x1p-40, accuracy: 0x1p-62, "below 2^-31: fewer bits, shift 62")
    }

    /// i-exp against exp on [-20, 0] at every point of its 2^-12 grid: I-BERT's second-order
    /// polynomial on (-ln2, 0] gives a relative error of 0.36% (measured); bound 0.4%
    /// relative (where exp > 1e-3) and 0.002 absolute.
    func testIntegerExp() {
        let step = q8_int_exp_step()
        var worstRelative = 0.0, worstAbsolute = 0.0
        for t in stride(from: Int32(-20 * 4096), through: 0, by: 1) {
            let x = Double(t) / 4096, e = Double(q8_int_exp(t)) * step, want = Foundation.exp(x)
            worstAbsolute = max(worstAbsolute, abs(e - want))
            if want > 1e-3 { worstRelative = max(worstRelative, abs(e - want) / want) }
        }
        XCTAssertLessThan(worstRelative, 0.004)
        XCTAssertLessThan(worstAbsolute, 0.002)
        XCTAssertGreaterThan(worstRelative, 0.001, "the approximation is not exp itself")
        XCTAssertEqual(q8_int_exp(-40 * 4096), 0, "far below: 0")
    }

    /// i-GELU against GELU (erf form) on [-8, 8] at every grid point: I-BERT reports an L-inf
    /// error of 0.018 for its erf polynomial; measured 0.0181 here; bound 0.019. Beyond the
    /// polynomial's range it is x (or 0).
    func testIntegerGELU() {
        var worst = 0.0
        for q in stride(from: Int32(-8 * 4096), through: 8 * 4096, by: 1) {
            let x = Double(q) / 4096
            let want = 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
            worst = max(worst, abs(q8_int_gelu_value(q) - want))
        }
        XCTAssertLessThan(worst, 0.019)
        XCTAssertEqual(q8_int_gelu_value(0), 0)
        XCTAssertEqual(q8_int_gelu_value(100 * 4096), 100, accuracy: 1e-3)
        XCTAssertEqual(q8_int_gelu_value(-100 * 4096), 0, accuracy: 1e-12)
    }

    /// The fused kernel: accumulators rescaled to 2^-12, i-GELU, requantized to int8, against
    /// round(clamp(gelu(acc * step) * S_x)) in Double: at most one int8 step apart, and only
    /// where the i-GELU error (0.019) can cross a rounding boundary.
    func testIntegerGELUKernel() {
        var rng = Rng(state: 9)
        let accStep = 1.3e-4, sx = 127 / 6.0
        var toFix = q8_dyadic(), toOut = q8_dyadic()
        XCTAssertEqual(q8_dyadic_make(accStep * 4096, &toFix), 0)
        XCTAssertEqual(q8_dyadic_make(q8_int_gelu_step() * 65536 * sx, &toOut), 0)
        let acc = (0..<20000).map { _ in Int32(rng.below(160_000)) - 80000 }
        var out = [Int8](repeating: 0, count: acc.count)
        q8_int_gelu_s8(&out, acc, acc.count, toFix, toOut, 127)
        var differ = 0
        for (a, q) in zip(acc, out) {
            let x = Double(a) * accStep, g = 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
            let exact = min(max((g * sx).rounded(), -127), 127)
            XCTAssertLessThanOrEqual(abs(Double(q) - exact), 1, "acc \(a)")
            if Double(q) != exact {
                differ += 1
                XCTAssertLessThan(abs(g * sx - (exact + Double(q)) / 2), 0.019 * sx + 0.01, "acc \(a): not near a boundary")
            }
        }
        XCTAssertLessThan(differ, acc.count / 5)
    }

    /// The integer softmax against softmax in Double of the same real scores: each probability
    /// within 1/512 (8-bit rounding) + 2 x 0.4% (i-exp in numerator and sum) of the true one,
    /// masked columns 0, rows summing to about 1.
    func testIntegerSoftmax() {
        var rng = Rng(state: 10)
        let accStep = 7e-5  // real score = acc * accStep
        var toFix = q8_dyadic()
        XCTAssertEqual(q8_dyadic_make(accStep * 4096, &toFix), 0)
        for trial in 0..<60 {
            let rows = 1 + rng.below(5), cols = 1 + rng.below(200), ld = cols + rng.below(3)
            let spread = [1.0, 5.0, 20.0][trial % 3]
            let scores = (0..<(rows * ld)).map { _ in Int32(((Self.unit(&rng) - 0.5) * 2 * spread / accStep).rounded()) }
            let mask: [Float]? = trial % 4 == 3 ? (0..<cols).map { j in j == 0 || rng.below(4) != 0 ? 1 : 0 } : nil
            var probs = [UInt8](repeating: 77, count: rows * cols)
            withOptional(mask) { q8_int_softmax_u8(&probs, scores, Int32(ld), Int32(rows), Int32(cols), $0, toFix) }
            for r in 0..<rows {
                let kept = (0..<cols).filter { mask?[$0] != 0 }
                let real = kept.map { Double(scores[r * ld + $0]) * accStep }
                let m = real.max()!, z = real.map { Foundation.exp($0 - m) }.reduce(0, +)
                var sum = 0.0
                for (i, j) in kept.enumerated() {
                    let p = Foundation.exp(real[i] - m) / z, got = Double(probs[r * cols + j]) / 256
                    XCTAssertLessThanOrEqual(abs(got - p), 1.0 / 512 + 0.008 * p + 1e-9, "trial \(trial) row \(r) column \(j)")
                    sum += got
                }
                for j in 0..<cols where mask?[j] == 0 { XCTAssertEqual(probs[r * cols + j], 0) }
                XCTAssertEqual(sum, 1, accuracy: Double(kept.count) / 512 + 0.01)
            }
        }
    }

    /// Integer LayerNorm against LayerNorm in Double on rows at the residual stream's step
    /// 2^-16 (offsets, scales from 0.01 to 100, outliers): the normalized value's error is
    /// about 2^-30 relative and the output rounds to 2^-16, so |error| <= 2^-14 + 1e-6 |gamma|
    /// (bound); the int8 copy is at most one step from round(out * S).
    func testIntegerLayerNorm() {
        var rng = Rng(state: 11)
        let step = 0x1p-16
        for trial in 0..<40 {
            let dim = [8, 32, 384, 768, 1001][trial % 5], rows = 3
            let scale = pow(10, -2 + 4 * Self.unit(&rng)), offset = (Self.unit(&rng) - 0.5) * 20
            let weight = (0..<dim).map { _ in (Self.unit(&rng) - 0.3) * 3 }
            let bias = (0..<dim).map { _ in (Self.unit(&rng) - 0.5) * 2 }
            var gamma = [q8_dyadic](repeating: q8_dyadic(), count: dim), beta = [Int32](repeating: 0, count: dim)
            for c in 0..<dim {
                XCTAssertEqual(q8_dyadic_make(weight[c] * Double(dim).squareRoot() * 0x1p-30 / step, &gamma[c]), 0)
                beta[c] = Int32((bias[c] / step).rounded())
            }
            let x = (0..<(rows * dim)).map { i -> Int32 in
                let v = offset + scale * (Self.unit(&rng) - 0.5) * (i % 97 == 5 ? 30 : 1)
                return Int32((v / step).rounded())
            }
            let sx = 127 / 4.0
            var d8 = q8_dyadic()
            XCTAssertEqual(q8_dyadic_make(step * sx, &d8), 0)
            var out = [Int32](repeating: 0, count: rows * dim), out8 = [Int8](repeating: 0, count: rows * dim)
            q8_int_layernorm(&out, &out8, x, Int32(rows), Int32(dim), gamma, beta, d8, 127)
            for r in 0..<rows {
                let v = (0..<dim).map { Double(x[r * dim + $0]) * step }
                let mean = v.reduce(0, +) / Double(dim)
                let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)).squareRoot()
                for c in 0..<dim {
                    let want = (v[c] - mean) / sd * weight[c] + bias[c], got = Double(out[r * dim + c]) * step
                    XCTAssertLessThanOrEqual(abs(got - want), 0x1p-14 + 1e-6 * abs(weight[c]),
                                             "trial \(trial) dim \(dim) scale \(scale): row \(r) channel \(c)")
                    let q = min(max((got * sx).rounded(), -127), 127)
                    XCTAssertLessThanOrEqual(abs(Double(out8[r * dim + c]) - q), 1)
                }
            }
        }
        // A constant row normalizes to 0: the output is the bias.
        var gamma = [q8_dyadic](repeating: q8_dyadic(mult: 1 << 30, shift: 30), count: 4)
        var out = [Int32](repeating: 9, count: 4)
        q8_int_layernorm(&out, nil, [500, 500, 500, 500], 1, 4, &gamma, [1, -2, 3, 0], q8_dyadic(), 127)
        XCTAssertEqual(out, [1, -2, 3, 0])
    }

    /// Head quantization: the power-of-two step from the range rows' max, rounding, clamping,
    /// the transposed layout.
    func testHeadQuantization() {
        let ld = 5, rows = 3, cols = 2
        var x = [Int32](repeating: 0, count: rows * ld)
        x[0] = 1000; x[1] = -1000; x[ld] = 300; x[ld + 1] = 5; x[2 * ld] = 100_000; x[2 * ld + 1] = -70
        var out = [Int8](repeating: 0, count: rows * cols)
        // Range from the first two rows: max 1000 has 10 bits, so s = 3 (1000 / 8 = 125).
        XCTAssertEqual(q8_int_head_quantize(&out, x, Int32(ld), Int32(rows), Int32(cols), 2, 0), 3)
        XCTAssertEqual(out, [125, -125, 38, 1, 127, -9])  // 300/8 = 37.5 -> 38; 5/8 -> 1; -70/8 = -8.75 -> -9; clamped
        var t = [Int8](repeating: 0, count: rows * cols)
        XCTAssertEqual(q8_int_head_quantize(&t, x, Int32(ld), Int32(rows), Int32(cols), 2, 1), 3)
        XCTAssertEqual(t, [125, 38, 127, -125, 1, -9])
        var small = [Int8](repeating: 0, count: 2)
        XCTAssertEqual(q8_int_head_quantize(&small, [100, -3], 2, 1, 2, 1, 0), 0, "7 bits fit: no shift")
        XCTAssertEqual(small, [100, -3])
    }

    /// u8 x s8 GEMM: VNNI, AVX2 and scalar against the reference bit for bit (bytes up to 255,
    /// odd tails, repacking a smaller shape into a larger allocation; uniform weights, which
    /// split most AVX2 groups, all 127, and +-40, most of whose group pairs fuse); the Winograd
    /// kernel is refused.
    func testUnsignedGEMMPaths() {
        var rng = Rng(state: 12)
        let capacity = q8_packed_s8_alloc(200, 300)!
        defer { q8_packed_s8_free(capacity) }
        for trial in 0..<60 {
            let m = 1 + rng.below(70), n = 1 + rng.below(200), k = 1 + rng.below(300)
            let a = (0..<(m * k)).map { _ in UInt8(trial % 5 == 0 ? 255 : rng.below(256)) }
            let b = (0..<(n * k)).map { _ in trial % 5 == 0 ? Int8(127) : trial % 5 == 3 ? Int8(rng.below(81) - 40) : rng.int8() }
            let bias = trial % 2 == 0 ? (0..<n).map { _ in rng.bias() } : nil
            var want = [Int32](repeating: 0, count: m * n)
            withOptional(bias) { q8_gemm_u8s8s32_ref(&want, a, b, Int32(m), Int32(n), Int32(k), $0) }
            XCTAssertEqual(q8_pack_weights_s8_nk(capacity, Int32(n), Int32(k), b, Int32(k)), 0)
            for path in [Q8_INT8_PATH_SCALAR, Q8_INT8_PATH_AVX2, Q8_INT8_PATH_VNNI] where q8_int8_path_supported(path) != 0 {
                var c = [Int32](repeating: 0x5A5A, count: m * n)
                let rc = withOptional(bias) { q8_gemm_u8s8s32_packed_path(&c, Int32(n), a, Int32(k), Int32(m), capacity, $0, path) }
                XCTAssertEqual(rc, 0)
                XCTAssertEqual(c, want, "path \(path) trial \(trial) \(m)x\(n)x\(k)")
            }
            var untouched = [Int32](repeating: 3, count: m * n)
            XCTAssertEqual(q8_gemm_u8s8s32_packed_path(&untouched, Int32(n), a, Int32(k), Int32(m), capacity, nil, Q8_INT8_PATH_AVX2_W16), -1)
            XCTAssertEqual(untouched, [Int32](repeating: 3, count: m * n), "the Winograd kernel refuses unsigned A")
        }
        XCTAssertEqual(q8_pack_weights_s8_nk(capacity, 201, 10, [Int8](repeating: 0, count: 2010), 10), -1, "beyond capacity")
        XCTAssertEqual(q8_pack_weights_s8_nk(capacity, 10, 301, [Int8](repeating: 0, count: 3010), 301), -1, "beyond capacity")
    }

    /// One attention head on the integer path (as IntegerOnlyEncoder runs it) against FP64
    /// attention on the same real query, key and value: context error below 3% of the
    /// largest |context| (int8 Q, K, V with power-of-two steps: up to 1/128 of the range each;
    /// 8-bit probabilities; measured about 1%).
    func testIntegerAttentionHead() {
        var rng = Rng(state: 13)
        let T = 40, D = 32, ld = 3 * D
        let step = 2e-4  // the accumulators' step, the same for Q, K and V here
        let acc = (0..<(T * ld)).map { _ in Int32(((Self.unit(&rng) - 0.5) * 6 / step).rounded()) }
        var q8 = [Int8](repeating: 0, count: T * D), k8 = q8, vt8 = q8
        let sq = q8_int_head_quantize(&q8, acc, Int32(ld), Int32(T), Int32(D), Int32(T), 0)
        let sk = acc.withUnsafeBufferPointer { q8_int_head_quantize(&k8, $0.baseAddress! + D, Int32(ld), Int32(T), Int32(D), Int32(T), 0) }
        let sv = acc.withUnsafeBufferPointer { q8_int_head_quantize(&vt8, $0.baseAddress! + 2 * D, Int32(ld), Int32(T), Int32(D), Int32(T), 1) }
        let keys = q8_packed_s8_alloc(Int32(T), Int32(D))!, values = q8_packed_s8_alloc(Int32(D), Int32(T))!
        defer { q8_packed_s8_free(keys); q8_packed_s8_free(values) }
        q8_pack_weights_s8(keys, k8, Int32(D))
        q8_pack_weights_s8(values, vt8, Int32(T))
        var scores = [Int32](repeating: 0, count: T * T)
        q8_gemm_s8s8s32_packed(&scores, Int32(T), q8, Int32(D), Int32(T), keys, nil)
        var toFix = q8_dyadic(), fix = q8_dyadic()
        XCTAssertEqual(q8_dyadic_make(step * step / Double(D).squareRoot() * 4096, &toFix), 0)
        XCTAssertEqual(q8_dyadic_scale_pow2(toFix, sq + sk, &fix), 0)
        var probs = [UInt8](repeating: 0, count: T * T)
        q8_int_softmax_u8(&probs, scores, Int32(T), Int32(T), Int32(T), nil, fix)
        var context = [Int32](repeating: 0, count: T * D)
        q8_gemm_u8s8s32_packed(&context, Int32(D), probs, Int32(T), Int32(T), values, nil)
        let contextStep = step * pow(2, Double(sv)) / 256
        // FP64 reference.
        func real(_ t: Int, _ c: Int) -> Double { Double(acc[t * ld + c]) * step }
        var worst = 0.0, largest = 0.0
        for t in 0..<T {
            let s = (0..<T).map { j in (0..<D).map { real(t, $0) * real(j, D + $0) }.reduce(0, +) / Double(D).squareRoot() }
            let m = s.max()!, z = s.map { Foundation.exp($0 - m) }.reduce(0, +)
            for d in 0..<D {
                let want = (0..<T).map { j in Foundation.exp(s[j] - m) / z * real(j, 2 * D + d) }.reduce(0, +)
                worst = max(worst, abs(Double(context[t * D + d]) * contextStep - want))
                largest = max(largest, abs(want))
            }
        }
        XCTAssertLessThan(worst, 0.03 * largest, "worst \(worst), largest \(largest)")
    }
}
