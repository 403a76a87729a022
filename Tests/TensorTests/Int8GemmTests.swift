import Tensor
import XCTest
import CKernels

/// The int8 GEMM kernels (q8int8.h): the scalar reference against a plain Swift triple loop,
/// then every packed path (scalar, AVX2 vpmaddubsw, AVX2 Winograd, AVX-512 VNNI) against the
/// reference, bit for bit, on random shapes with tails, BERT shapes, the extreme values +-127
/// (saturation), with and without bias, and with row strides larger than the rows. The AVX2
/// path's split groups (pairs with |b0 + b1| > 128) are checked on their own: uniform weights split
/// almost every group, Gaussian ones a few percent, weights within +-64 none.
final class Int8GemmTests: XCTestCase {
    /// Tensor's SplitMix64 with the draws these tests need.
    struct Rng {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        /// Uniform over the whole valid range [-127, 127].
        mutating func int8() -> Int8 { Int8(below(255) - 127) }
        /// The bias of a requantized Linear layer can be large: +-2^20.
        mutating func bias() -> Int32 { Int32(below(1 << 21)) - (1 << 20) }
    }

    /// random: uniform in [-127, 127]; gaussian: N(0, 1) scaled to max |b| = 127 (as Q8BERT
    /// quantizes a weight); small: uniform in [-64, 64] (no AVX2 group split).
    enum Fill { case random, allMax, allMin, mixedExtremes, gaussian, small }

    static func values(_ count: Int, _ fill: Fill, _ rng: inout Rng) -> [Int8] {
        switch fill {
        case .gaussian:
            let z = (0..<count).map { _ -> Double in
                let u1 = Double(rng.below(1 << 30) + 1) / Double(1 << 30), u2 = Double(rng.below(1 << 30)) / Double(1 << 30)
                return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
            }
            let scale = 127 / max(z.map { abs($0) }.max() ?? 1, 1e-9)
            return z.map { Int8(($0 * scale).rounded(.toNearestOrEven)) }
        case .small: return (0..<count).map { _ in Int8(rng.below(129) - 64) }
        case .random: return (0..<count).map { _ in rng.int8() }
        case .allMax: return [Int8](repeating: 127, count: count)
        case .allMin: return [Int8](repeating: -127, count: count)
        case .mixedExtremes: return (0..<count).map { _ in rng.below(2) == 0 ? 127 : -127 }
        }
    }

    static let pathNames = ["scalar", "AVX2", "VNNI", "AVX2 Winograd"]

    /// Throws XCTSkip when this CPU lacks the path, so a missing path shows as skipped.
    func requirePath(_ path: Int32) throws {
        if q8_int8_path_supported(path) == 0 {
            let others = Self.pathNames.indices.filter { q8_int8_path_supported(Int32($0)) != 0 }.map { Self.pathNames[$0] }
            throw XCTSkip("this CPU lacks the \(Self.pathNames[Int(path)]) path (AVX-512 VNNI: Zen 4, Ice Lake and later); "
                          + "the same checks ran here on the \(others.joined(separator: " and ")) paths, and every path is bit-exact to the reference")
        }
    }

    /// C = A B^T (+ bias) by the reference, contiguous.
    static func reference(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int, bias: [Int32]?) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        if let bias {
            q8_gemm_s8s8s32_ref(&c, a, b, Int32(m), Int32(n), Int32(k), bias)
        } else {
            q8_gemm_s8s8s32_ref(&c, a, b, Int32(m), Int32(n), Int32(k), nil)
        }
        return c
    }

    /// Runs one path on A (row stride lda) and B packed from row stride ldb, writing C with row
    /// stride ldc over a canary-filled buffer; checks C against ref and that nothing outside
    /// the M x N window was written.
    func check(path: Int32, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int,
               a: [Int8], b: [Int8], bias: [Int32]?, ref: [Int32], label: String,
               file: StaticString = #filePath, line: UInt = #line) {
        // Strided copies; padding bytes are garbage that must not be read as data.
        var aS = [Int8](repeating: -99, count: max(1, (m - 1) * lda + k))
        for i in 0..<m { for j in 0..<k { aS[i * lda + j] = a[i * k + j] } }
        var bS = [Int8](repeating: 77, count: (n - 1) * ldb + k)
        for i in 0..<n { for j in 0..<k { bS[i * ldb + j] = b[i * k + j] } }
        guard let packed = q8_packed_s8_alloc(Int32(n), Int32(k)) else {
            return XCTFail("q8_packed_s8_alloc failed", file: file, line: line)
        }
        defer { q8_packed_s8_free(packed) }
        q8_pack_weights_s8(packed, bS, Int32(ldb))
        let canary: Int32 = 0x5A5A_5A5A
        var c = [Int32](repeating: canary, count: max(1, m * ldc))
        let rc: Int32
        if let bias {
            rc = q8_gemm_s8s8s32_packed_path(&c, Int32(ldc), aS, Int32(lda), Int32(m), packed, bias, path)
        } else {
            rc = q8_gemm_s8s8s32_packed_path(&c, Int32(ldc), aS, Int32(lda), Int32(m), packed, nil, path)
        }
        XCTAssertEqual(rc, 0, "\(label): path refused", file: file, line: line)
        var bad = 0, firstBad = ""
        for i in 0..<m {
            for j in 0..<ldc {
                let got = c[i * ldc + j]
                let want = j < n ? ref[i * n + j] : canary
                if got != want {
                    if bad == 0 { firstBad = "C[\(i), \(j)] = \(got), want \(want)" }
                    bad += 1
                }
            }
        }
        XCTAssertEqual(bad, 0, "\(Self.pathNames[Int(path)]) \(label): \(bad) wrong, first \(firstBad)",
                       file: file, line: line)
    }

    // ---- The reference against a triple loop -------------------------------------------------

    func testReferenceMatchesTripleLoop() {
        var rng = Rng(state: 1)
        for (m, n, k) in [(1, 1, 1), (2, 3, 5), (3, 7, 4), (5, 2, 17), (4, 4, 64)] {
            for fill in [Fill.random, .allMax, .allMin, .mixedExtremes] {
                for withBias in [false, true] {
                    let a = Self.values(m * k, fill, &rng), b = Self.values(n * k, fill, &rng)
                    let bias = withBias ? (0..<n).map { _ in rng.bias() } : nil
                    var want = [Int32](repeating: 0, count: m * n)
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = bias?[j] ?? 0
                            for t in 0..<k { s += Int32(a[i * k + t]) * Int32(b[j * k + t]) }
                            want[i * n + j] = s
                        }
                    }
                    XCTAssertEqual(Self.reference(a, b, m: m, n: n, k: k, bias: bias), want,
                                   "\(m)x\(n)x\(k) \(fill) bias=\(withBias)")
                }
            }
        }
        // A hand-checked case: [1 2; -3 4] times B = [5 6; 7 -8] transposed, bias [10, 20].
        // C = [5 + 12 + 10, 7 - 16 + 20; -15 + 24 + 10, -21 - 32 + 20].
        let hand: [Int32] = [27, 11, 19, -33]
        XCTAssertEqual(Self.reference([1, 2, -3, 4], [5, 6, 7, -8], m: 2, n: 2, k: 2, bias: [10, 20]), hand)
    }

    func testPackedLayoutAndCompensation() {
        var rng = Rng(state: 2)
        let n = 19, k = 6
        let b = Self.values(n * k, .random, &rng)
        let p = q8_packed_s8_alloc(Int32(n), Int32(k))!
        defer { q8_packed_s8_free(p) }
        q8_pack_weights_s8(p, b, Int32(k))
        XCTAssertEqual(p.pointee.n_pad, 32)
        XCTAssertEqual(p.pointee.k_pad, 8)
        XCTAssertEqual(Int(bitPattern: p.pointee.data) % 64, 0)
        XCTAssertEqual(Int(bitPattern: p.pointee.comp) % 64, 0)
        let kp = Int(p.pointee.k_pad)
        for col in 0..<32 {
            var sum: Int32 = 0
            for kk in 0..<kp {
                let byte = p.pointee.data[((col / 16 * (kp / 4) + kk / 4) * 16 + col % 16) * 4 + kk % 4]
                let want: Int8 = col < n && kk < k ? b[col * k + kk] : 0
                XCTAssertEqual(byte, want, "packed B[\(col), \(kk)]")
                sum += Int32(want)
            }
            XCTAssertEqual(p.pointee.comp[col], -128 * sum, "comp[\(col)]")
        }
    }

    // ---- Every path against the reference ----------------------------------------------------

    /// Random shapes M in 1...37, N in 1...70, K in 1...300, random strides, bias or not.
    func randomShapes(path: Int32, trials: Int, seed: UInt64) throws {
        try requirePath(path)
        var rng = Rng(state: seed)
        for trial in 0..<trials {
            let m = 1 + rng.below(37), n = 1 + rng.below(70), k = 1 + rng.below(300)
            let fills: [Fill] = [.random, .random, .random, .allMax, .allMin, .mixedExtremes, .gaussian, .small]
            let fill = fills[trial % fills.count]
            let a = Self.values(m * k, fill == .gaussian || fill == .small ? .random : fill, &rng)
            let b = Self.values(n * k, trial % 4 == 3 ? .allMin : fill, &rng)
            let bias = rng.below(2) == 0 ? (0..<n).map { _ in rng.bias() } : nil
            let lda = k + (rng.below(2) == 0 ? 0 : 1 + rng.below(9))
            let ldb = k + (rng.below(2) == 0 ? 0 : 1 + rng.below(9))
            let ldc = n + (rng.below(2) == 0 ? 0 : 1 + rng.below(9))
            let ref = Self.reference(a, b, m: m, n: n, k: k, bias: bias)
            check(path: path, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, bias: bias,
                  ref: ref, label: "trial \(trial) \(m)x\(n)x\(k) \(fill) lda=\(lda) ldc=\(ldc) bias=\(bias != nil)")
        }
    }

    func testScalarRandomShapes() throws { try randomShapes(path: Q8_INT8_PATH_SCALAR, trials: 120, seed: 10) }
    func testAVX2RandomShapes() throws { try randomShapes(path: Q8_INT8_PATH_AVX2, trials: 300, seed: 11) }
    func testVNNIRandomShapes() throws { try randomShapes(path: Q8_INT8_PATH_VNNI, trials: 300, seed: 12) }
    func testAVX2WinogradRandomShapes() throws { try randomShapes(path: Q8_INT8_PATH_AVX2_W16, trials: 300, seed: 13) }

    /// Every tail combination around the block sizes (MR 8 and 5, 16-column blocks, 48-column
    /// panels, 64- and 60-row A blocks, k groups of 4, the AVX2 path's 32-byte steps while it
    /// packs A, and chunks of 384).
    func edgeShapes(path: Int32) throws {
        try requirePath(path)
        var rng = Rng(state: 20 + UInt64(path))
        let ms = [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 47, 48, 49, 59, 60, 61, 63, 64, 65, 97, 119, 120, 121, 129]
        let ns = [1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 65, 97]
        let ks = [1, 2, 3, 4, 5, 31, 32, 33, 36, 383, 384, 385, 388, 769]
        for m in ms {
            for n in ns {
                let k = ks[rng.below(ks.count)]
                let a = Self.values(m * k, .random, &rng)
                let b = Self.values(n * k, rng.below(2) == 0 ? .random : .gaussian, &rng)
                let bias = rng.below(2) == 0 ? (0..<n).map { _ in rng.bias() } : nil
                let ref = Self.reference(a, b, m: m, n: n, k: k, bias: bias)
                check(path: path, m: m, n: n, k: k, lda: k + 3, ldb: k, ldc: n + 5, a: a, b: b,
                      bias: bias, ref: ref, label: "edge \(m)x\(n)x\(k)")
            }
        }
    }

    func testScalarEdgeShapes() throws { try edgeShapes(path: Q8_INT8_PATH_SCALAR) }
    func testAVX2EdgeShapes() throws { try edgeShapes(path: Q8_INT8_PATH_AVX2) }
    func testVNNIEdgeShapes() throws { try edgeShapes(path: Q8_INT8_PATH_VNNI) }
    func testAVX2WinogradEdgeShapes() throws { try edgeShapes(path: Q8_INT8_PATH_AVX2_W16) }

    /// All +127 and all -127 (and mixed) with the longest K here: sums of 127 * 127 products,
    /// and for VNNI (a + 128) b up to 255 * 127 per product, where a saturating kernel fails.
    func extremes(path: Int32) throws {
        try requirePath(path)
        var rng = Rng(state: 30)
        let (m, n, k) = (19, 37, 1543)
        for (fa, fb) in [(Fill.allMax, Fill.allMax), (.allMin, .allMin), (.allMax, .allMin),
                         (.allMin, .allMax), (.mixedExtremes, .mixedExtremes)] {
            let a = Self.values(m * k, fa, &rng), b = Self.values(n * k, fb, &rng)
            for bias in [nil, (0..<n).map { _ in rng.bias() }] {
                let ref = Self.reference(a, b, m: m, n: n, k: k, bias: bias)
                if fa == .allMax && fb == .allMax && bias == nil { XCTAssertEqual(ref[0], 127 * 127 * Int32(k)) }
                check(path: path, m: m, n: n, k: k, lda: k, ldb: k, ldc: n, a: a, b: b, bias: bias,
                      ref: ref, label: "extremes A=\(fa) B=\(fb) bias=\(bias != nil)")
            }
        }
    }

    func testScalarExtremes() throws { try extremes(path: Q8_INT8_PATH_SCALAR) }
    func testAVX2Extremes() throws { try extremes(path: Q8_INT8_PATH_AVX2) }
    func testVNNIExtremes() throws { try extremes(path: Q8_INT8_PATH_VNNI) }
    func testAVX2WinogradExtremes() throws { try extremes(path: Q8_INT8_PATH_AVX2_W16) }

    /// BERT-base-like Linear shapes (M x N x K): attention projections, FFN up and down.
    func bertShapes(path: Int32) throws {
        try requirePath(path)
        var rng = Rng(state: 40)
        for (i, (m, n, k)) in [(128, 384, 384), (64, 1536, 384), (64, 384, 1536)].enumerated() {
            let a = Self.values(m * k, .random, &rng), b = Self.values(n * k, .gaussian, &rng)
            let bias = i == 1 ? nil : (0..<n).map { _ in rng.bias() }
            let ref = Self.reference(a, b, m: m, n: n, k: k, bias: bias)
            check(path: path, m: m, n: n, k: k, lda: k + (i == 2 ? 64 : 0), ldb: k,
                  ldc: n + (i == 0 ? 16 : 0), a: a, b: b, bias: bias, ref: ref, label: "BERT \(m)x\(n)x\(k)")
        }
    }

    func testScalarBERTShapes() throws { try bertShapes(path: Q8_INT8_PATH_SCALAR) }
    func testAVX2BERTShapes() throws { try bertShapes(path: Q8_INT8_PATH_AVX2) }
    func testVNNIBERTShapes() throws { try bertShapes(path: Q8_INT8_PATH_VNNI) }
    func testAVX2WinogradBERTShapes() throws { try bertShapes(path: Q8_INT8_PATH_AVX2_W16) }

    // ---- The AVX2 path's split groups -----------------------------------------------------------

    /// The split groups q8_pack_weights_s8 records, re-derived here from B itself: a group (16
    /// columns x 4 k of a column block) is split iff one of its pairs (k = 4g + {0, 1} or
    /// 4g + {2, 3}, one column) has |b0 + b1| > 128 (vpmaddubsw's pair sum (a0 + 128) b0 +
    /// (a1 + 128) b1 could then leave int16); its b'' is b - (b >> 1) on those pairs and 0
    /// elsewhere, and both b' = b - b'' and b'' then have every pair sum within 128.
    func testSplitGroups() {
        var rng = Rng(state: 60)
        for (n, k, fill) in [(37, 301, Fill.gaussian), (16, 64, .random), (50, 200, .small), (3, 5, .allMax)] {
            let b = Self.values(n * k, fill, &rng)
            let p = q8_packed_s8_alloc(Int32(n), Int32(k))!
            defer { q8_packed_s8_free(p) }
            XCTAssertEqual(q8_pack_weights_s8(p, b, Int32(k)), 0)
            let blocks = (n + 15) / 16, groups = (k + 3) / 4
            func w(_ col: Int, _ kk: Int) -> Int { col < n && kk < k ? Int(b[col * k + kk]) : 0 }
            var entry = 0
            for jb in 0..<blocks {
                XCTAssertEqual(Int(p.pointee.split_first[jb]), entry, "\(fill) block \(jb) first entry")
                for g in 0..<groups {
                    var split = false
                    for c in 0..<16 {
                        for t in [0, 2] where abs(w(16 * jb + c, 4 * g + t) + w(16 * jb + c, 4 * g + t + 1)) > 128 { split = true }
                    }
                    guard split else { continue }
                    guard entry < Int(p.pointee.split_count) else { return XCTFail("\(fill): fewer split groups than expected") }
                    XCTAssertEqual(Int(p.pointee.split_g[entry]), g, "\(fill) block \(jb) entry \(entry)")
                    for c in 0..<16 {
                        for t in [0, 2] {
                            let b0 = w(16 * jb + c, 4 * g + t), b1 = w(16 * jb + c, 4 * g + t + 1)
                            let over = abs(b0 + b1) > 128
                            let s0 = Int(p.pointee.split_w[entry * 64 + c * 4 + t]), s1 = Int(p.pointee.split_w[entry * 64 + c * 4 + t + 1])
                            XCTAssertEqual(s0, over ? b0 - (b0 >> 1) : 0)
                            XCTAssertEqual(s1, over ? b1 - (b1 >> 1) : 0)
                            XCTAssertLessThanOrEqual(abs(s0 + s1), 128)
                            XCTAssertLessThanOrEqual(abs(b0 - s0 + b1 - s1), 128)
                        }
                    }
                    entry += 1
                }
            }
            // The plain group pairs: a pair (2q, 2q + 1) fuses when, for every column and pair
            // position t, the four weights k = 8q + t, 8q + t + 1, 8q + 4 + t, 8q + 5 + t have
            // positive sum <= 128 and negative sum >= -128.
            if p.pointee.plain_count >= 0 {
                var plain = 0
                for jb in 0..<blocks {
                    XCTAssertEqual(Int(p.pointee.plain_first[jb]), plain, "\(fill) block \(jb) first plain pair")
                    for q in 0..<(groups / 2) {
                        var fuses = true
                        for c in 0..<16 {
                            for t in [0, 1, 2, 3].filter({ $0 % 2 == 0 }) {
                                let v = [8 * q + t, 8 * q + t + 1, 8 * q + 4 + t, 8 * q + 5 + t].map { w(16 * jb + c, $0) }
                                if v.filter({ $0 > 0 }).reduce(0, +) > 128 || v.filter({ $0 < 0 }).reduce(0, +) < -128 { fuses = false }
                            }
                        }
                        guard !fuses else { continue }
                        guard plain < Int(p.pointee.plain_count) else { return XCTFail("\(fill): fewer plain pairs than expected") }
                        XCTAssertEqual(Int(p.pointee.plain_p[plain]), q, "\(fill) block \(jb) plain entry \(plain)")
                        plain += 1
                    }
                }
                XCTAssertEqual(Int(p.pointee.plain_count), plain, "\(fill) \(n)x\(k): plain pairs")
                if fill == .small && k >= 8 { XCTAssertGreaterThan(plain, 0, "+-64 weights: some pairs cannot fuse") }
                if fill == .allMax && k >= 8 { XCTAssertEqual(plain, blocks * (groups / 2), "all 127: no pair fuses") }
            }
            XCTAssertEqual(Int(p.pointee.split_first[blocks]), entry)
            XCTAssertEqual(Int(p.pointee.split_count), entry, "\(fill) \(n)x\(k): split groups")
            switch fill {
            case .small: XCTAssertEqual(entry, 0, "weights within +-64 split nothing")
            case .allMax:  // a group splits when it holds a whole pair (4g + 1 < k): 127 + 127 > 128
                XCTAssertEqual(entry, blocks * ((k - 2) / 4 + 1), "all 127: every group holding a pair splits")
            case .gaussian:
                XCTAssertGreaterThan(entry, 0, "this Gaussian draw has pairs above 128")
                XCTAssertLessThan(entry, blocks * groups / 2, "and splits only some groups")
            default: break
            }
        }
    }

    /// At the bound: with every a = 127 (a + 128 = 255), a pair b0 + b1 = 128 gives 255 * 128 =
    /// 32640 (fits int16, not split) and 129 gives 32895 (would saturate: split), and the same
    /// negated; a pair of opposite signs (127, -127) never splits. The AVX2 result equals the
    /// reference either way.
    func testSplitBoundary() throws {
        let k = 8
        let rows: [[Int8]] = [[64, 64, 64, 64, 0, 0, 0, 0], [65, 64, 0, 0, 0, 0, 0, 0], [-64, -64, 0, 0, -65, -64, 0, 0],
                              [127, -127, -127, 127, 1, 0, 0, 0]]
        let b = rows.flatMap { $0 }, n = rows.count
        let p = q8_packed_s8_alloc(Int32(n), Int32(k))!
        defer { q8_packed_s8_free(p) }
        XCTAssertEqual(q8_pack_weights_s8(p, b, Int32(k)), 0)
        // One column block, two groups: group 0 splits (column 1's pair 65 + 64), group 1 splits
        // (column 2's -65 - 64); the 128s and the opposite signs alone would not.
        XCTAssertEqual(p.pointee.split_count, 2)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: p.pointee.split_g, count: 2)), [0, 1])
        let onlyBound: [Int8] = [64, 64, 64, 64, -64, -64, 127, -127]
        let q = q8_packed_s8_alloc(1, Int32(k))!
        defer { q8_packed_s8_free(q) }
        XCTAssertEqual(q8_pack_weights_s8(q, onlyBound, Int32(k)), 0)
        XCTAssertEqual(q.pointee.split_count, 0, "pairs summing to +-128 and opposite signs stay whole")
        // Fusing at its bound: column 0's lane t = 0 holds 64, 32 (group 0) and 32, 0 (group 1),
        // positive sum 128, fused; column 1's holds 64, 32, 33, 0, sum 129: its pair stays plain.
        let fuseRows: [Int8] = [64, 32, 0, 0, 32, 0, 0, 0, 64, 32, 0, 0, 33, 0, 0, 0]
        let f = q8_packed_s8_alloc(2, Int32(k))!
        defer { q8_packed_s8_free(f) }
        XCTAssertEqual(q8_pack_weights_s8(f, fuseRows, Int32(k)), 0)
        if f.pointee.plain_count >= 0 {
            XCTAssertEqual(f.pointee.plain_count, 1)
            XCTAssertEqual(f.pointee.plain_p[0], 0)
            XCTAssertEqual(f.pointee.split_count, 0)
        }
        let g = q8_packed_s8_alloc(1, Int32(k))!
        defer { q8_packed_s8_free(g) }
        XCTAssertEqual(q8_pack_weights_s8(g, Array(fuseRows[0..<k]), Int32(k)), 0)
        if g.pointee.plain_count >= 0 { XCTAssertEqual(g.pointee.plain_count, 0, "a positive sum of 128 fuses") }
        guard q8_int8_path_supported(Q8_INT8_PATH_AVX2) != 0 else { return }
        let a = [Int8](repeating: 127, count: 3 * k)
        for (packed, weights, cols) in [(p, b, n), (q, onlyBound, 1), (f, fuseRows, 2), (g, Array(fuseRows[0..<k]), 1)] {
            var c = [Int32](repeating: 0, count: 3 * cols)
            XCTAssertEqual(q8_gemm_s8s8s32_packed_path(&c, Int32(cols), a, Int32(k), 3, packed, nil, Q8_INT8_PATH_AVX2), 0)
            XCTAssertEqual(c, Self.reference(a, weights, m: 3, n: cols, k: k, bias: nil))
        }
    }

    /// Repacking a smaller matrix into the same allocation (q8_pack_weights_s8_nk) recomputes the
    /// split groups; and when the split storage is missing (split_count -1, as after a failed
    /// allocation) the AVX2 path still gives the reference's bits, through the Winograd kernel.
    func testSplitGroupsRepackAndFallback() throws {
        try requirePath(Q8_INT8_PATH_AVX2)
        var rng = Rng(state: 61)
        let p = q8_packed_s8_alloc(64, 512)!
        defer { q8_packed_s8_free(p) }
        for (n, k, fill) in [(64, 512, Fill.random), (20, 100, .small), (33, 260, .gaussian)] {
            let a = Self.values(9 * k, .random, &rng), b = Self.values(n * k, fill, &rng)
            XCTAssertEqual(q8_pack_weights_s8_nk(p, Int32(n), Int32(k), b, Int32(k)), 0)
            if fill == .small { XCTAssertEqual(p.pointee.split_count, 0) }
            let ref = Self.reference(a, b, m: 9, n: n, k: k, bias: nil)
            var c = [Int32](repeating: 0, count: 9 * n)
            XCTAssertEqual(q8_gemm_s8s8s32_packed_path(&c, Int32(n), a, Int32(k), 9, p, nil, Q8_INT8_PATH_AVX2), 0)
            XCTAssertEqual(c, ref, "repacked \(n)x\(k) \(fill)")
        }
        let (n, k) = (40, 300)
        let a = Self.values(7 * k, .random, &rng), b = Self.values(n * k, .random, &rng)
        XCTAssertEqual(q8_pack_weights_s8_nk(p, Int32(n), Int32(k), b, Int32(k)), 0)
        p.pointee.split_count = -1
        var c = [Int32](repeating: 0, count: 7 * n)
        XCTAssertEqual(q8_gemm_s8s8s32_packed_path(&c, Int32(n), a, Int32(k), 7, p, nil, Q8_INT8_PATH_AVX2), 0)
        XCTAssertEqual(c, Self.reference(a, b, m: 7, n: n, k: k, bias: nil), "AVX2 without split storage")
    }

    /// The default entry point takes the best path, and unknown paths are refused.
    func testDispatch() {
        let best = q8_int8_best_path()
        XCTAssertEqual(q8_int8_path_supported(best), 1)
        XCTAssertEqual(q8_int8_path_supported(Q8_INT8_PATH_SCALAR), 1)
        XCTAssertEqual(q8_int8_path_supported(7), 0)
        var rng = Rng(state: 50)
        let (m, n, k) = (9, 21, 33)
        let a = Self.values(m * k, .random, &rng), b = Self.values(n * k, .random, &rng)
        let p = q8_packed_s8_alloc(Int32(n), Int32(k))!
        defer { q8_packed_s8_free(p) }
        q8_pack_weights_s8(p, b, Int32(k))
        var c = [Int32](repeating: 0, count: m * n)
        q8_gemm_s8s8s32_packed(&c, Int32(n), a, Int32(k), Int32(m), p, nil)
        XCTAssertEqual(c, Self.reference(a, b, m: m, n: n, k: k, bias: nil))
        var untouched = [Int32](repeating: 3, count: m * n)
        XCTAssertEqual(q8_gemm_s8s8s32_packed_path(&untouched, Int32(n), a, Int32(k), Int32(m), p, nil, 7), -1)
        XCTAssertEqual(untouched, [Int32](repeating: 3, count: m * n))
    }

    func testDequantize() {
        let acc: [Int32] = [0, 1, -1, 1000, -123_456, Int32.max, Int32.min] + (0..<37).map { Int32($0 * 977 - 9000) }
        var out = [Float](repeating: .nan, count: acc.count)
        let factor: Float = 0.00123
        q8_dequantize_s32(&out, acc, acc.count, factor)
        for i in acc.indices { XCTAssertEqual(out[i], Float(acc[i]) * factor, "element \(i)") }
    }
}
