import CKernels
import Foundation
@testable import Tensor
import XCTest

/// The attention kernels of attention.c (q8_attention_probs, q8_attention_context and the fused
/// q8_attention_head) on the shapes BERT runs (MiniLM's head size 32, BERT-base's 64, length
/// 128) and on ragged ones (rows, keys and head sizes off the 6-row, 16-key and 16-column
/// blocks): against a double-precision reference, fused against split bit for bit, and the
/// AVX-512 and AVX2 builds bit for bit.
final class AttentionKernelTests: XCTestCase {
    override func tearDown() { InstructionSet.cap(nil) }

    /// Named tolerance: a context element against FP64, absolute (values are O(1); float
    /// sums of up to 128 terms plus exp's 2 ulp).
    static let contextTolerance = 2e-5
    /// Named tolerance: a probability against FP64, absolute.
    static let probsTolerance = 1e-6

    struct Case {
        let rows: Int, keys: Int, headDim: Int, ld: Int
        let masked: Bool
    }

    /// (rows, keys, head size, row stride of q/k/v, a mask with holes)
    let cases: [Case] = [
        Case(rows: 128, keys: 128, headDim: 32, ld: 3 * 384, masked: false),
        Case(rows: 128, keys: 128, headDim: 64, ld: 3 * 768, masked: true),
        Case(rows: 64, keys: 41, headDim: 32, ld: 384, masked: false),
        Case(rows: 70, keys: 53, headDim: 64, ld: 100, masked: false),
        Case(rows: 7, keys: 37, headDim: 24, ld: 24, masked: true),
        Case(rows: 13, keys: 16, headDim: 8, ld: 9, masked: false),
        Case(rows: 6, keys: 33, headDim: 48, ld: 50, masked: true),
        Case(rows: 1, keys: 1, headDim: 16, ld: 16, masked: false),
        Case(rows: 5, keys: 3, headDim: 3, ld: 12, masked: false),
    ]

    struct Inputs {
        var q: [Float], k: [Float], v: [Float], mask: [Float]?
    }

    func inputs(_ c: Case, seed: UInt64) -> Inputs {
        var rng = SplitMix64(seed: seed)
        // Scores of a few units: softmax neither uniform nor one-hot.
        func fill(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in scale * Float(2 * rng.nextUnit() - 1) } }
        let q = fill(c.rows * c.ld, 2.5), k = fill(c.keys * c.ld, 2.5), v = fill(c.keys * c.ld, 1)
        var mask: [Float]?
        if c.masked { mask = (0..<c.keys).map { j in j % 5 == 2 || j == c.keys - 1 ? 0 : 1 } }
        return Inputs(q: q, k: k, v: v, mask: mask)
    }

    /// FP64 reference: (probs [rows, keys], context [rows, D]).
    func reference(_ c: Case, _ x: Inputs) -> ([Double], [Double]) {
        let D = c.headDim, scale = 1 / Double(D).squareRoot()
        var probs = [Double](repeating: 0, count: c.rows * c.keys)
        var ctx = [Double](repeating: 0, count: c.rows * D)
        for i in 0..<c.rows {
            var s = [Double](repeating: -.infinity, count: c.keys)
            for j in 0..<c.keys where x.mask?[j] ?? 1 != 0 {
                var dot = 0.0
                for d in 0..<D { dot += Double(x.q[i * c.ld + d]) * Double(x.k[j * c.ld + d]) }
                s[j] = dot * scale
            }
            let mx = s.max()!
            let e = s.map { $0 == -.infinity ? 0 : Foundation.exp($0 - mx) }
            let z = e.reduce(0, +)
            for j in 0..<c.keys { probs[i * c.keys + j] = z > 0 ? e[j] / z : 0 }
            for d in 0..<D {
                var acc = 0.0
                for j in 0..<c.keys { acc += probs[i * c.keys + j] * Double(x.v[j * c.ld + d]) }
                ctx[i * D + d] = acc
            }
        }
        return (probs, ctx)
    }

    /// (probs, context from probs, context from the fused kernel) on the current ISA level.
    func run(_ c: Case, _ x: Inputs) -> ([Float], [Float], [Float]) {
        let D = c.headDim, scale = 1 / Float(D).squareRoot()
        var probs = [Float](repeating: .nan, count: c.rows * c.keys)
        var split = [Float](repeating: .nan, count: c.rows * D), fused = split
        var kt = [Float](repeating: .nan, count: (c.keys + 15) / 16 * 16 * D)
        var scratch = [Float](repeating: .nan, count: q8_attention_scratch_floats(Int32(c.keys), Int32(D)))
        let mask = x.mask
        mask.withOptionalPointer { m in
            q8_attention_probs(&probs, Int32(c.keys), x.q, Int32(c.ld), x.k, Int32(c.ld), m, Int32(c.rows),
                               Int32(c.keys), Int32(D), scale, &kt)
            q8_attention_context(&split, Int32(D), probs, Int32(c.keys), x.v, Int32(c.ld), Int32(c.rows),
                                 Int32(c.keys), Int32(D))
            q8_attention_head(&fused, Int32(D), x.q, Int32(c.ld), x.k, Int32(c.ld), x.v, Int32(c.ld), m,
                              Int32(c.rows), Int32(c.keys), Int32(D), scale, &scratch)
        }
        return (probs, split, fused)
    }

    func testMatchesDoublePrecisionAndFusedEqualsSplit() {
        for (n, c) in cases.enumerated() {
            let x = inputs(c, seed: 100 + UInt64(n))
            let (refP, refC) = reference(c, x)
            let (probs, split, fused) = run(c, x)
            let label = "\(c.rows) rows, \(c.keys) keys, D \(c.headDim)\(c.masked ? ", masked" : "")"
            var worstP = 0.0, worstC = 0.0
            for i in probs.indices { worstP = max(worstP, abs(Double(probs[i]) - refP[i])) }
            for i in split.indices { worstC = max(worstC, abs(Double(split[i]) - refC[i])) }
            XCTAssertLessThanOrEqual(worstP, Self.probsTolerance, "probabilities, \(label)")
            XCTAssertLessThanOrEqual(worstC, Self.contextTolerance, "context, \(label)")
            XCTAssertEqual(fused.map(\.bitPattern), split.map(\.bitPattern),
                           "the fused kernel must give the bits of probs + context, \(label)")
            if let mask = x.mask {
                for i in 0..<c.rows { for j in 0..<c.keys where mask[j] == 0 {
                    XCTAssertEqual(probs[i * c.keys + j], 0, "a masked key gets probability 0, \(label)")
                } }
            }
        }
    }

    func testEveryKeyMaskedGivesZeroContext() {
        let c = Case(rows: 9, keys: 20, headDim: 16, ld: 16, masked: true)
        var x = inputs(c, seed: 7)
        x.mask = [Float](repeating: 0, count: c.keys)
        let (probs, split, fused) = run(c, x)
        XCTAssertTrue(probs.allSatisfy { $0 == 0 } && split.allSatisfy { $0 == 0 } && fused.allSatisfy { $0 == 0 })
    }

    /// The vector builds differ only in how many independent fmaf chains run at once, so they
    /// give the same bits; the baseline build stays within the tolerance.
    func testInstructionSetLevelsAgree() throws {
        let levels = InstructionSet.allCases.filter { $0 <= InstructionSet.detected }
        for (n, c) in cases.enumerated() {
            let x = inputs(c, seed: 200 + UInt64(n))
            var results: [InstructionSet: ([Float], [Float], [Float])] = [:]
            for level in levels {
                InstructionSet.cap(level)
                results[level] = run(c, x)
            }
            InstructionSet.cap(nil)
            if let a = results[.avx512], let b = results[.avx2] {
                XCTAssertEqual(a.0.map(\.bitPattern), b.0.map(\.bitPattern), "probs, AVX-512 vs AVX2, case \(n)")
                XCTAssertEqual(a.2.map(\.bitPattern), b.2.map(\.bitPattern), "context, AVX-512 vs AVX2, case \(n)")
            }
            if let base = results[.baseline], let top = results[InstructionSet.detected] {
                for i in base.2.indices {
                    XCTAssertEqual(Double(base.2[i]), Double(top.2[i]), accuracy: Self.contextTolerance, "baseline, case \(n)")
                }
            }
        }
        if InstructionSet.detected < .avx2 { throw XCTSkip("no AVX2 on this CPU: only the baseline build ran") }
    }
}

private extension Optional where Wrapped == [Float] {
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
