import XCTest
import CKernels

/// The fused int8 Linear (q8_linear_s8*, q8int8.h): the scalar reference against an independent
/// Swift computation, then every path (scalar, AVX2, AVX-512 VNNI) against the reference bit for
/// bit, over random shapes with tails, strides, 8- and 6-bit inputs, rounding ties, clamped
/// inputs, and every epilogue (rescale; + requantization with zero scales; + residual).
final class Int8LinearTests: XCTestCase {
    typealias Rng = Int8GemmTests.Rng

    /// One problem: X [m, ldx], W [n, k], and the epilogue's inputs.
    struct Problem {
        var m: Int, n: Int, k: Int, ldx: Int, ldy: Int, ldr: Int
        var x: [Float], w: [Int8], bias: [Int32]?, factor: [Float]
        var xscale: Float, maxq: Float
        var requant: [Float]?, residual: [Float]?

        static func random(_ rng: inout Rng, m: Int, n: Int, k: Int, maxq: Float = 127, strided: Bool,
                           bias: Bool, requant: Bool, residual: Bool) -> Problem {
            func unit() -> Float { Float(rng.below(1 << 24)) / Float(1 << 24) }
            let ldx = k + (strided ? 1 + rng.below(7) : 0)
            let ldy = n + (strided ? 1 + rng.below(7) : 0)
            let ldr = n + (strided ? rng.below(5) : 0)
            let xscale = 10 + 30 * unit()
            // Inputs: mostly inside the range, some beyond it (clamped), some exact ties
            // (x * xscale = j + 0.5 for a power-of-two scale below), some zeros.
            let x = (0..<(m * ldx)).map { _ -> Float in
                switch rng.below(10) {
                case 0: return (unit() - 0.5) * 40        // |x S| up to 800: clamped
                case 1: return 0
                default: return (unit() - 0.5) * 2 * maxq / xscale
                }
            }
            // Uniform weights split almost every AVX2 group (q8int8.h), Gaussian ones (N(0, 1)
            // scaled to max 127, as Q8BERT quantizes a weight) a few: both kinds, half the time each.
            let gaussian = rng.below(2) == 0
            var w = (0..<(n * k)).map { _ in rng.int8() }
            if gaussian {
                let z = (0..<(n * k)).map { _ -> Double in
                    let u1 = Double(rng.below(1 << 30) + 1) / Double(1 << 30), u2 = Double(rng.below(1 << 30)) / Double(1 << 30)
                    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
                }
                let scale = 127 / max(z.map { abs($0) }.max() ?? 1, 1e-9)
                w = z.map { Int8(($0 * scale).rounded(.toNearestOrEven)) }
            }
            let b = bias ? (0..<n).map { _ in rng.bias() } : nil
            let factor = (0..<n).map { _ in (0.2 + unit()) * 1e-4 }
            let rq: [Float]? = requant ? (0..<n).map { j in j % 11 == 3 ? 0 : 20 + 200 * unit() } : nil
            let res: [Float]? = residual ? (0..<(m * ldr)).map { _ in (unit() - 0.5) * 8 } : nil
            return Problem(m: m, n: n, k: k, ldx: ldx, ldy: ldy, ldr: ldr, x: x, w: w, bias: b, factor: factor,
                           xscale: xscale, maxq: maxq, requant: rq, residual: res)
        }

        /// Runs `body` with the argument struct; Y starts as a canary-filled [m, ldy] buffer.
        func run(_ body: (inout q8_linear_args, UnsafeMutablePointer<q8_packed_s8>) -> Void) -> [Float] {
            var y = [Float](repeating: Problem.canary, count: max(1, m * ldy))
            let packed = q8_packed_s8_alloc(Int32(n), Int32(k))!
            defer { q8_packed_s8_free(packed) }
            q8_pack_weights_s8(packed, w, Int32(k))
            y.withUnsafeMutableBufferPointer { yb in
                x.withUnsafeBufferPointer { xb in
                    factor.withUnsafeBufferPointer { fb in
                        withOptional(bias) { bb in
                            withOptional(requant) { rb in
                                withOptional(residual) { resb in
                                    var args = q8_linear_args(y: yb.baseAddress, ldy: Int32(ldy), x: xb.baseAddress, ldx: Int32(ldx),
                                                              m: Int32(m), xscale: xscale, maxq: maxq, w: packed, bias: bb,
                                                              factor: fb.baseAddress, requant: rb, requant_maxq: maxq,
                                                              residual: resb, ldr: Int32(ldr))
                                    body(&args, packed)
                                }
                            }
                        }
                    }
                }
            }
            return y
        }

        static let canary = Float(bitPattern: 0x7FC0_1234)  // a NaN no kernel produces

        /// The independent computation: Swift's own rounding, an Int64 dot product, the epilogue
        /// as the header states it.
        func expected() -> [Float] {
            var y = [Float](repeating: Problem.canary, count: max(1, m * ldy))
            for i in 0..<m {
                let q = (0..<k).map { t -> Int64 in
                    Int64(Swift.min(Swift.max(x[i * ldx + t] * xscale, -maxq), maxq).rounded(.toNearestOrEven))
                }
                for j in 0..<n {
                    var acc = Int64(bias?[j] ?? 0)
                    for t in 0..<k { acc += q[t] * Int64(w[j * k + t]) }
                    var v = Float(Int32(acc)) * factor[j]
                    if let requant {
                        let s = requant[j]
                        // + 0 for a value rounding to zero: the kernels round by adding and
                        // subtracting 1.5 * 2^23, as training's q8_fake_quantize (never -0).
                        let q = (Swift.min(Swift.max(v * s, -maxq), maxq)).rounded(.toNearestOrEven)
                        v = s == 0 ? 0 : (q == 0 ? 0 : q) / s
                    }
                    if let residual { v = v + residual[i * ldr + j] }
                    y[i * ldy + j] = v
                }
            }
            return y
        }
    }

    func compare(_ got: [Float], _ want: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, label, file: file, line: line)
        var bad = 0, first = ""
        for i in got.indices where got[i].bitPattern != want[i].bitPattern {
            if bad == 0 { first = "element \(i): \(got[i]) vs \(want[i])" }
            bad += 1
        }
        XCTAssertEqual(bad, 0, "\(label): \(bad) of \(got.count) differ (first: \(first))", file: file, line: line)
    }

    /// The reference against the independent Swift computation.
    func testReferenceMatchesIndependentComputation() {
        var rng = Rng(state: 101)
        for trial in 0..<60 {
            let p = Problem.random(&rng, m: 1 + rng.below(9), n: 1 + rng.below(40), k: 1 + rng.below(90),
                                   maxq: trial % 3 == 0 ? 31 : 127, strided: trial % 2 == 1,
                                   bias: trial % 4 != 0, requant: trial % 3 == 1, residual: trial % 5 >= 2)
            let got = p.run { args, _ in q8_linear_s8_ref(&args, p.w) }
            compare(got, p.expected(), "trial \(trial) \(p.m)x\(p.n)x\(p.k)")
        }
    }

    /// Rounding ties: with S = 2 and x = j / 2 + 1/4, x S = j + 0.5 exactly.
    func testTiesRoundToEven() {
        let k = 8
        let x: [Float] = (0..<k).map { Float($0) / 2 + 0.25 }       // x S = 0.5, 1.5, ..., 7.5
        let w = [Int8](repeating: 0, count: k * k).enumerated().map { $0.offset % (k + 1) == 0 ? Int8(1) : 0 }  // identity
        let p = Problem(m: 1, n: k, k: k, ldx: k, ldy: k, ldr: k, x: x, w: w, bias: nil,
                        factor: [Float](repeating: 1, count: k), xscale: 2, maxq: 127, requant: nil, residual: nil)
        let got = p.run { args, _ in q8_linear_s8_ref(&args, p.w) }
        XCTAssertEqual(got, [0, 2, 2, 4, 4, 6, 6, 8])
        for path in [Q8_INT8_PATH_SCALAR, Q8_INT8_PATH_AVX2, Q8_INT8_PATH_AVX2_W16, Q8_INT8_PATH_VNNI] where q8_int8_path_supported(path) != 0 {
            XCTAssertEqual(p.run { args, _ in XCTAssertEqual(q8_linear_s8_path(&args, path), 0) }, got)
        }
    }

    /// Every path against the reference on random shapes around the blockings (MR 8 and 5, 16
    /// columns, 48-column panels, 64- and 65-row blocks, k groups of 4, the AVX2 path's 32-byte
    /// steps while it packs X) and BERT shapes.
    func paths(_ path: Int32, seed: UInt64) throws {
        guard q8_int8_path_supported(path) != 0 else {
            throw XCTSkip("this CPU lacks int8 path \(Int8GemmTests.pathNames[Int(path)]) (AVX-512 VNNI: Zen 4, Ice Lake and later); "
                          + "testScalarPath and testAVX2Path check the same fused Linear on the paths it has")
        }
        var rng = Rng(state: seed)
        var shapes: [(Int, Int, Int)] = (0..<80).map { _ in (1 + rng.below(140), 1 + rng.below(110), 1 + rng.below(200)) }
        shapes += [(1, 1, 1), (7, 15, 3), (8, 16, 4), (9, 17, 5), (63, 47, 383), (64, 48, 384), (65, 49, 385),
                   (129, 97, 769), (64, 1152, 384), (96, 384, 1536),
                   (5, 16, 32), (6, 17, 31), (66, 33, 33), (130, 31, 35), (131, 65, 36)]
        for (trial, (m, n, k)) in shapes.enumerated() {
            let p = Problem.random(&rng, m: m, n: n, k: k, maxq: trial % 4 == 1 ? 31 : 127, strided: trial % 2 == 0,
                                   bias: trial % 3 != 0, requant: trial % 4 == 2, residual: trial % 3 == 1)
            let want = p.run { args, _ in q8_linear_s8_ref(&args, p.w) }
            let got = p.run { args, _ in XCTAssertEqual(q8_linear_s8_path(&args, path), 0) }
            compare(got, want, "path \(path) trial \(trial) \(m)x\(n)x\(k)")
        }
    }

    func testScalarPath() throws { try paths(Q8_INT8_PATH_SCALAR, seed: 201) }
    func testAVX2Path() throws { try paths(Q8_INT8_PATH_AVX2, seed: 202) }
    func testVNNIPath() throws { try paths(Q8_INT8_PATH_VNNI, seed: 203) }
    func testAVX2WinogradPath() throws { try paths(Q8_INT8_PATH_AVX2_W16, seed: 204) }

    /// The fused kernel equals the three separate kernels the runtime used before (quantize,
    /// int32 GEMM, dequantize), and the default entry point takes the best path; an unknown path
    /// is refused without writing.
    func testMatchesSeparateKernelsAndDispatch() {
        var rng = Rng(state: 301)
        let (m, n, k) = (37, 70, 150)
        var p = Problem.random(&rng, m: m, n: n, k: k, strided: false, bias: true, requant: false, residual: false)
        p.factor = [Float](repeating: 3e-4, count: n)
        var xq = [Int8](repeating: 0, count: m * k), acc = [Int32](repeating: 0, count: m * n)
        var separate = [Float](repeating: 0, count: m * n)
        q8_quantize_int8(&xq, p.x, m * k, p.xscale)
        acc = Int8GemmTests.reference(xq, p.w, m: m, n: n, k: k, bias: p.bias)
        q8_dequantize_s32(&separate, acc, m * n, 3e-4)
        compare(p.run { args, _ in XCTAssertEqual(q8_linear_s8(&args), 0) }, separate, "fused vs separate")
        let untouched = p.run { args, _ in XCTAssertEqual(q8_linear_s8_path(&args, 9), -1) }
        XCTAssertTrue(untouched.allSatisfy { $0.bitPattern == Problem.canary.bitPattern })
    }
}

/// Calls body with the array's base address, or nil.
func withOptional<T, R>(_ a: [T]?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
