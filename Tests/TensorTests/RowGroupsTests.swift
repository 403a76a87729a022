import XCTest
@testable import Tensor

/// The deterministic reduction (RowGroups): grouped kernels add per-group partial sums in the
/// canonical tree, and a process holding a subset of the groups (a rank) computes exactly the
/// corresponding subtree; results do not depend on the thread count.
final class RowGroupsTests: XCTestCase {
    override func tearDown() { Parallel.configure(threads: 2) }

    /// Named tolerance: grouped sums vs the plain sum (different association only).
    static let associationTolerance: Float = 1e-5

    func random(_ n: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(g.nextNormal()) }
    }

    func testCombineIsTheCanonicalTree() {
        // Partials chosen so that association matters: the tree must be (p0 + p2) + (p1 + p3).
        var p: [Float] = [1e8, 1, -1e8, 1]
        RowGroups(count: 4).combine(&p, stride: 1, count: 1)
        XCTAssertEqual(p[0], ((1e8 as Float) + -1e8) + (1 + 1))
        XCTAssertEqual(p[0], 2)   // left to right would give ((1e8 + 1) - 1e8) + 1 = 1
        var q: [Float] = [1e8, -1e8, 1, 1]
        RowGroups(count: 4).combine(&q, stride: 1, count: 1)
        XCTAssertEqual(q[0], (1e8 + 1) + (-1e8 + 1))  // = 0 in float
    }

    /// Linear's weight and bias gradients with 4 groups: equal to the plain sum within
    /// rounding, and bit for bit to the tree of the halves that two "ranks" (2 groups each,
    /// groups {0, 2} and {1, 3}) compute and then add.
    func testLinearBackwardGroupsComposeExactly() {
        let rows = 4 * 37, inF = 24, outF = 70
        let x = random(rows * inF, seed: 1), w = random(outF * inF, seed: 2), dy = random(rows * outF, seed: 3)
        func grads(_ rowsSubset: [Int], groups: Int?, threads: Int) -> ([Float], [Float]) {
            Parallel.configure(threads: threads)
            let xs = rowsSubset.flatMap { Array(x[$0 * inF ..< ($0 + 1) * inF]) }
            let dys = rowsSubset.flatMap { Array(dy[$0 * outF ..< ($0 + 1) * outF]) }
            var dW = [Float](repeating: 0, count: outF * inF), dB = [Float](repeating: 0, count: outF)
            let g = RowGroups()
            g.configure(deterministicGroups: groups)
            linearBackward(dInput: nil, dWeight: &dW, dBias: &dB, dOut: dys, input: xs, weight: w,
                           rows: rowsSubset.count, inFeatures: inF, outFeatures: outF, groups: g)
            return (dW, dB)
        }
        let per = rows / 4
        func group(_ q: Int) -> [Int] { Array(q * per ..< (q + 1) * per) }
        let whole = grads(Array(0..<rows), groups: 4, threads: 2)
        let plain = grads(Array(0..<rows), groups: nil, threads: 2)
        for (a, b) in zip(whole.0 + whole.1, plain.0 + plain.1) {
            XCTAssertEqual(a, b, accuracy: Self.associationTolerance * max(1, abs(b)))
        }
        // Rank 0 holds groups 0 and 2, rank 1 groups 1 and 3 (one thread each); then d = 1.
        let r0 = grads(group(0) + group(2), groups: 2, threads: 1)
        let r1 = grads(group(1) + group(3), groups: 2, threads: 1)
        let summed = zip(r0.0 + r0.1, r1.0 + r1.1).map { $0 + $1 }
        XCTAssertEqual(summed, whole.0 + whole.1, "two ranks' subtrees added must equal the 4-group tree bit for bit")
        // One group per rank (4 ranks): ((g0 + g2) + (g1 + g3)).
        let g = (0..<4).map { grads(group($0), groups: 1, threads: 1) }
        func flat(_ p: ([Float], [Float])) -> [Float] { p.0 + p.1 }
        let even: [Float] = zip(flat(g[0]), flat(g[2])).map { $0 + $1 }
        let odd: [Float] = zip(flat(g[1]), flat(g[3])).map { $0 + $1 }
        let tree: [Float] = zip(even, odd).map { $0 + $1 }
        XCTAssertEqual(tree, flat(whole), "four ranks' partials in the tree must equal the 4-group tree bit for bit")
    }

    /// LayerNorm's parameter gradients do not depend on the thread count (fixed chunks).
    func testLayerNormBackwardIsThreadCountIndependent() {
        let rows = 4 * 50, dim = 40
        let x = random(rows * dim, seed: 4), dy = random(rows * dim, seed: 5)
        let gamma = random(dim, seed: 6).map { 1 + 0.1 * $0 }, beta = random(dim, seed: 7)
        var y = [Float](repeating: 0, count: rows * dim), mean = [Float](repeating: 0, count: rows), rstd = mean
        layerNormForward(out: &y, mean: &mean, rstd: &rstd, input: x, weight: gamma, bias: beta, rows: rows, dim: dim, eps: 1e-12)
        func run(threads: Int, groups: Int?) -> [Float] {
            Parallel.configure(threads: threads)
            var dx = [Float](repeating: 0, count: rows * dim), dG = [Float](repeating: 0, count: dim), dB = dG
            let g = RowGroups()
            g.configure(deterministicGroups: groups)
            layerNormBackward(dInput: &dx, dWeight: &dG, dBias: &dB, dOut: dy, input: x, weight: gamma, mean: mean, rstd: rstd,
                              rows: rows, dim: dim,
                              scratch: FloatBuffer(count: layerNormBackwardScratchCount(rows: rows, dim: dim, groups: groups ?? 1)),
                              groups: g)
            return dx + dG + dB
        }
        XCTAssertEqual(run(threads: 1, groups: nil), run(threads: 2, groups: nil))
        XCTAssertEqual(run(threads: 1, groups: 4), run(threads: 2, groups: 4))
        for (a, b) in zip(run(threads: 2, groups: 4), run(threads: 2, groups: nil)) {
            XCTAssertEqual(a, b, accuracy: Self.associationTolerance * max(1, abs(b)))
        }
    }

    /// Grouped embedding scatter: the plain scatter within rounding, the tree of the groups'
    /// scatters bit for bit, the padding id skipped, the id map left clean for the next call.
    func testEmbeddingBackwardGroups() {
        let rows = 4 * 30, dim = 8, vocab = 11
        let dy = random(rows * dim, seed: 8)
        let ids = (0..<rows).map { Int32(($0 * 7 + $0 / 5) % vocab) }
        func run(_ subset: [Int], groups: Int?) -> [Float] {
            var table = [Float](repeating: 0, count: vocab * dim)
            let g = RowGroups()
            g.configure(deterministicGroups: groups)
            let d = subset.flatMap { Array(dy[$0 * dim ..< ($0 + 1) * dim]) }, sub = subset.map { ids[$0] }
            for _ in 0..<2 {   // twice: the second call must see a clean id map
                table = [Float](repeating: 0, count: vocab * dim)
                embeddingBackward(dTable: &table, dOut: d, ids: sub, rows: subset.count, dim: dim, skipping: 3,
                                  tableRows: vocab, groups: g)
            }
            return table
        }
        let whole = run(Array(0..<rows), groups: 4), plain = run(Array(0..<rows), groups: nil)
        XCTAssertEqual(Array(whole[3 * dim ..< 4 * dim]), [Float](repeating: 0, count: dim), "padding id skipped")
        for (a, b) in zip(whole, plain) { XCTAssertEqual(a, b, accuracy: Self.associationTolerance * max(1, abs(b))) }
        let per = rows / 4
        let parts = (0..<4).map { run(Array($0 * per ..< ($0 + 1) * per), groups: 1) }
        var tree = [Float](repeating: 0, count: whole.count)
        for i in tree.indices {
            let even: Float = parts[0][i] + parts[2][i], odd: Float = parts[1][i] + parts[3][i]
            tree[i] = even + odd
        }
        XCTAssertEqual(tree, whole)
    }

    /// Deterministic GEMM blocks: a Linear forward's rows are bit-identical whether the
    /// batch holds 1 or 4 groups' worth of rows and whatever the thread count.
    func testLinearForwardRowsDoNotDependOnTheBatch() {
        let inF = 32, outF = 16, per = 150
        let x = random(4 * per * inF, seed: 9), w = random(outF * inF, seed: 10)
        func forward(_ rows: Int, groups: Int, threads: Int) -> [Float] {
            Parallel.configure(threads: threads)
            let g = RowGroups()
            g.configure(deterministicGroups: groups)
            var y = [Float](repeating: 0, count: rows * outF)
            linearForward(out: &y, input: x, weight: w, bias: nil, rows: rows, inFeatures: inF, outFeatures: outF, groups: g)
            return y
        }
        let whole = forward(4 * per, groups: 4, threads: 2)
        XCTAssertEqual(forward(per, groups: 1, threads: 1), Array(whole[0 ..< per * outF]))
        XCTAssertEqual(forward(2 * per, groups: 2, threads: 1), Array(whole[0 ..< 2 * per * outF]))
    }
}
