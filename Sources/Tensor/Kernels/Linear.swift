/// Linear layer math, y = x W^T + b, as nn.Linear (W is [out, in], row-major).
/// Shapes: x [rows, inF], W [outF, inF], b [outF], y [rows, outF].

/// y = x W^T + b.
public func linearForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, inFeatures: Int, outFeatures: Int) {
    BLAS.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
               a: input, lda: inFeatures, b: weight, ldb: inFeatures, c: out, ldc: outFeatures)
    if let bias { addRowBias(out, bias, rows: rows, cols: outFeatures) }
}

/// dInput = dOut W (written, or added when `accumulateInput`; skipped when nil);
/// dWeight += dOut^T x; dBias += sum_rows dOut.
public func linearBackward(dInput: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                           dWeight: UnsafeMutablePointer<Float>,
                           dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
                           input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           rows: Int, inFeatures: Int, outFeatures: Int) {
    if let dInput {
        BLAS.sgemm(m: rows, n: inFeatures, k: outFeatures, a: dOut, lda: outFeatures,
                   b: weight, ldb: inFeatures, beta: accumulateInput ? 1 : 0, c: dInput, ldc: inFeatures)
    }
    BLAS.sgemm(transA: true, m: outFeatures, n: inFeatures, k: rows, a: dOut, lda: outFeatures,
               b: input, ldb: inFeatures, beta: 1, c: dWeight, ldc: inFeatures)
    if let dBias { addColumnSums(dBias, dOut, rows: rows, cols: outFeatures) }
}
