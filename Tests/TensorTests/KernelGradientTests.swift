import XCTest
@testable import Tensor

/// Finite-difference checks of every kernel's backward.
final class KernelGradientTests: XCTestCase {
    override func setUp() { Parallel.configure(threads: 2) }

    func testGELU() {
        let n = 64
        let x = FD.random(n, seed: 1, scale: 2), w = FD.random(n, seed: 2)
        func f(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n)
            geluForward(out: &y, input: x, count: n); return y
        }
        var dx = [Float](repeating: 0, count: n)
        geluBackward(dInput: &dx, dOut: w, input: x, count: n)
        FD.check("gelu", x: x, analytic: dx) { FD.dot(f($0), w) }
    }

    func testTanh() {
        let n = 64
        let x = FD.random(n, seed: 3, scale: 1.5), w = FD.random(n, seed: 4)
        func f(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n)
            tanhForward(out: &y, input: x, count: n); return y
        }
        var dx = [Float](repeating: 0, count: n)
        tanhBackward(dInput: &dx, dOut: w, output: f(x), count: n)
        FD.check("tanh", x: x, analytic: dx) { FD.dot(f($0), w) }
    }

    func testLayerNorm() {
        let rows = 5, dim = 24
        let x = FD.random(rows * dim, seed: 5, scale: 2), w = FD.random(rows * dim, seed: 6)
        let gamma = FD.random(dim, seed: 7).map { 1 + 0.2 * $0 }, beta = FD.random(dim, seed: 8)
        func f(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * dim)
            var mean = [Float](repeating: 0, count: rows), rstd = mean
            layerNormForward(out: &y, mean: &mean, rstd: &rstd, input: x, weight: gamma, bias: beta,
                             rows: rows, dim: dim, eps: 1e-12)
            return y
        }
        var y = [Float](repeating: 0, count: rows * dim)
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        layerNormForward(out: &y, mean: &mean, rstd: &rstd, input: x, weight: gamma, bias: beta,
                         rows: rows, dim: dim, eps: 1e-12)
        var dx = [Float](repeating: 0, count: rows * dim)
        var dGamma = [Float](repeating: 0, count: dim), dBeta = dGamma
        layerNormBackward(dInput: &dx, dWeight: &dGamma, dBias: &dBeta, dOut: w, input: x, weight: gamma,
                          mean: mean, rstd: rstd, rows: rows, dim: dim, scratch: FloatBuffer(count: 4 * dim))
        FD.check("layerNorm dx", x: x, analytic: dx) { FD.dot(f($0, gamma, beta), w) }
        FD.check("layerNorm dWeight", x: gamma, analytic: dGamma) { FD.dot(f(x, $0, beta), w) }
        FD.check("layerNorm dBias", x: beta, analytic: dBeta) { FD.dot(f(x, gamma, $0), w) }
    }

    func testSoftmaxWithMask() {
        let rows = 3, cols = 7
        let x = FD.random(rows * cols, seed: 9, scale: 2), w = FD.random(rows * cols, seed: 10)
        let mask: [Float] = [1, 1, 0, 1, 1, 0, 1]
        func f(_ x: [Float]) -> [Float] {
            var p = [Float](repeating: 0, count: rows * cols)
            softmaxForward(probs: &p, scores: x, keyMask: mask, rows: rows, cols: cols); return p
        }
        let p = f(x)
        for r in 0..<rows {
            let row = p[(r * cols)..<((r + 1) * cols)]
            XCTAssertEqual(Double(row.reduce(0, +)), 1, accuracy: 1e-6, "softmax row \(r) sums to 1")
            XCTAssertEqual(row[row.startIndex + 2], 0, "masked column gets probability 0")
        }
        var dx = [Float](repeating: 0, count: rows * cols)
        softmaxBackward(dScores: &dx, dProbs: w, probs: p, rows: rows, cols: cols)
        FD.check("softmax", x: x, analytic: dx) { FD.dot(f($0), w) }
    }

    func testLinear() {
        let rows = 4, inF = 6, outF = 5
        let x = FD.random(rows * inF, seed: 11), W = FD.random(outF * inF, seed: 12)
        let b = FD.random(outF, seed: 13), w = FD.random(rows * outF, seed: 14)
        func f(_ x: [Float], _ W: [Float], _ b: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * outF)
            linearForward(out: &y, input: x, weight: W, bias: b, rows: rows, inFeatures: inF, outFeatures: outF)
            return y
        }
        // Forward against a scalar reference.
        let y = f(x, W, b)
        for r in 0..<rows { for o in 0..<outF {
            var s = Double(b[o]); for i in 0..<inF { s += Double(x[r * inF + i]) * Double(W[o * inF + i]) }
            XCTAssertEqual(Double(y[r * outF + o]), s, accuracy: 1e-5)
        } }
        var dx = [Float](repeating: 0, count: rows * inF)
        var dW = [Float](repeating: 0, count: outF * inF), db = [Float](repeating: 0, count: outF)
        linearBackward(dInput: &dx, dWeight: &dW, dBias: &db, dOut: w, input: x, weight: W,
                       rows: rows, inFeatures: inF, outFeatures: outF)
        FD.check("linear dx", x: x, analytic: dx) { FD.dot(f($0, W, b), w) }
        FD.check("linear dW", x: W, analytic: dW) { FD.dot(f(x, $0, b), w) }
        FD.check("linear db", x: b, analytic: db) { FD.dot(f(x, W, $0), w) }
    }

    func testAttention() {
        let s = AttentionShape(batch: 2, seqLen: 5, heads: 2, headDim: 3)
        let n = s.batch * s.seqLen * s.channels
        let q = FD.random(n, seed: 15), k = FD.random(n, seed: 16), v = FD.random(n, seed: 17)
        let w = FD.random(n, seed: 18)
        let keyMask: [Float] = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        func run(_ q: [Float], _ k: [Float], _ v: [Float]) -> ([Float], [Float]) {
            var ctx = [Float](repeating: 0, count: n)
            var probs = [Float](repeating: 0, count: s.probsCount), dropped = probs
            var mask = [UInt8](repeating: 0, count: s.probsCount)
            attentionForward(context: &ctx, probs: &probs, dropped: &dropped, mask: &mask, q: q, k: k, v: v,
                             keyMask: keyMask, shape: s, dropout: 0) { _, _, _ in 0 }
            return (ctx, probs)
        }
        let (_, probs) = run(q, k, v)
        var dQ = [Float](repeating: 0, count: n), dK = dQ, dV = dQ
        let mask = [UInt8](repeating: 1, count: s.probsCount)
        attentionBackward(dQ: &dQ, dK: &dK, dV: &dV, dContext: w, q: q, k: k, v: v, probs: probs,
                          dropped: probs, mask: mask, keyMask: keyMask, shape: s, dropout: 0,
                          scratch: FloatBuffer(count: 4 * s.seqLen * s.seqLen))
        FD.check("attention dQ", x: q, analytic: dQ) { FD.dot(run($0, k, v).0, w) }
        FD.check("attention dK", x: k, analytic: dK) { FD.dot(run(q, $0, v).0, w) }
        FD.check("attention dV", x: v, analytic: dV) { FD.dot(run(q, k, $0).0, w) }
    }

    func testAttentionMatchesScalarReference() {
        let s = AttentionShape(batch: 2, seqLen: 6, heads: 3, headDim: 4)
        let T = s.seqLen, C = s.channels, D = s.headDim
        let n = s.batch * T * C
        let q = FD.random(n, seed: 19), k = FD.random(n, seed: 20), v = FD.random(n, seed: 21)
        // Example 0: a mask with a hole (the general path); example 1: right padding (n keys).
        let keyMask: [Float] = [1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
        var ctx = [Float](repeating: 0, count: n)
        var probs = [Float](repeating: 0, count: s.probsCount), dropped = probs
        var mask = [UInt8](repeating: 0, count: s.probsCount)
        attentionForward(context: &ctx, probs: &probs, dropped: &dropped, mask: &mask, q: q, k: k, v: v,
                         keyMask: keyMask, shape: s, dropout: 0) { _, _, _ in 0 }
        for b in 0..<s.batch { for h in 0..<s.heads { for t in 0..<T {
            var scores = [Double](repeating: -.infinity, count: T)
            for j in 0..<T where keyMask[b * T + j] != 0 {
                var dot = 0.0
                for d in 0..<D { dot += Double(q[(b * T + t) * C + h * D + d]) * Double(k[(b * T + j) * C + h * D + d]) }
                scores[j] = dot / Double(D).squareRoot()
            }
            let mx = scores.max()!
            let e = scores.map { $0 == -.infinity ? 0 : Foundation.exp($0 - mx) }
            let z = e.reduce(0, +)
            for d in 0..<D {
                var out = 0.0
                for j in 0..<T { out += e[j] / z * Double(v[(b * T + j) * C + h * D + d]) }
                XCTAssertEqual(Double(ctx[(b * T + t) * C + h * D + d]), out, accuracy: 1e-5)
            }
        } } }
    }

    func testEmbedding() {
        let vocab = 7, dim = 3, rows = 5
        let table = FD.random(vocab * dim, seed: 22), w = FD.random(rows * dim, seed: 23)
        let ids: [Int32] = [3, 1, 3, 6, 0]
        func f(_ t: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * dim)
            embeddingForward(out: &y, ids: ids, table: t, rows: rows, dim: dim, accumulate: false); return y
        }
        var dT = [Float](repeating: 0, count: vocab * dim)
        embeddingBackward(dTable: &dT, dOut: w, ids: ids, rows: rows, dim: dim)
        FD.check("embedding", x: table, analytic: dT) { FD.dot(f($0), w) }
        XCTAssertEqual(dT[2 * dim], 0, "an unused row gets no gradient")
    }

    func testCrossEntropyAndMSE() {
        let B = 3, L = 4
        let logits = FD.random(B * L, seed: 24, scale: 2)
        let labels: [Int32] = [2, 0, 3]
        var d = [Float](repeating: 0, count: B * L)
        let loss = crossEntropyForwardBackward(dLogits: &d, logits: logits, labels: labels, batch: B, classes: L)
        // Reference: -mean log softmax[label].
        var ref = 0.0
        for b in 0..<B {
            let row = logits[(b * L)..<((b + 1) * L)].map(Double.init)
            let z = row.map { Foundation.exp($0) }.reduce(0, +)
            ref -= row[Int(labels[b])] - Foundation.log(z)
        }
        XCTAssertEqual(Double(loss), ref / Double(B), accuracy: 1e-6)
        var scratch = [Float](repeating: 0, count: B * L)
        FD.check("crossEntropy", x: logits, analytic: d) {
            Double(crossEntropyForwardBackward(dLogits: &scratch, logits: $0, labels: labels, batch: B, classes: L))
        }
        let pred = FD.random(B, seed: 25), target = FD.random(B, seed: 26)
        var dp = [Float](repeating: 0, count: B)
        _ = mseForwardBackward(dPred: &dp, pred: pred, targets: target, batch: B)
        var s2 = [Float](repeating: 0, count: B)
        FD.check("mse", x: pred, analytic: dp) { Double(mseForwardBackward(dPred: &s2, pred: $0, targets: target, batch: B)) }
    }
}
