/// Linear layer math, y = x W^T + b, as nn.Linear (W is [out, in], row-major).
/// Shapes: x [rows, inF], W [outF, inF], b [outF], y [rows, outF].
///
/// The GEMMs are split over our worker threads by output rows, each piece a single-threaded
/// OpenBLAS call: one pool of threads for everything, none left spinning between kernels
/// (OpenBLAS's own workers busy-wait after each call and steal the cores our elementwise
/// kernels need; measured 10% of a training step).

/// y = x W^T + b.
public func linearForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, inFeatures: Int, outFeatures: Int) {
    Parallel.forEachChunk(rows, minChunk: 32) { r in
        let o = r.lowerBound
        BLAS.sgemm(transB: true, m: r.count, n: outFeatures, k: inFeatures,
                   a: input + o * inFeatures, lda: inFeatures, b: weight, ldb: inFeatures,
                   c: out + o * outFeatures, ldc: outFeatures)
        if let bias { q8AddRowBias(out + o * outFeatures, bias, rows: r.count, cols: outFeatures) }
    }
}

/// dInput = dOut W (written, or added when `accumulateInput`; skipped when nil);
/// dWeight += dOut^T x; dBias += sum_rows dOut.
public func linearBackward(dInput: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                           dWeight: UnsafeMutablePointer<Float>,
                           dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
                           input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           rows: Int, inFeatures: Int, outFeatures: Int) {
    if let dInput {
        Parallel.forEachChunk(rows, minChunk: 32) { r in
            let o = r.lowerBound
            BLAS.sgemm(m: r.count, n: inFeatures, k: outFeatures, a: dOut + o * outFeatures, lda: outFeatures,
                       b: weight, ldb: inFeatures, beta: accumulateInput ? 1 : 0,
                       c: dInput + o * inFeatures, ldc: inFeatures)
        }
    }
    // dW rows o..<o+n: dOut[:, o..<o+n]^T x, and the matching bias slice.
    Parallel.forEachChunk(outFeatures, minChunk: 16) { r in
        let o = r.lowerBound
        BLAS.sgemm(transA: true, m: r.count, n: inFeatures, k: rows, a: dOut + o, lda: outFeatures,
                   b: input, ldb: inFeatures, beta: 1, c: dWeight + o * inFeatures, ldc: inFeatures)
        if let dBias { q8AddColumnSums(dBias + o, dOut + o, rows: rows, cols: r.count, ld: outFeatures) }
    }
}
