/// Linear layer math, y = x W^T + b, as nn.Linear (W is [out, in], row-major).
/// Shapes: x [rows, inF], W [outF, inF], b [outF], y [rows, outF].
///
/// The GEMMs are split over our worker threads by output rows, each piece a single-threaded
/// OpenBLAS call: one pool of threads for everything, none left spinning between kernels
/// (OpenBLAS's own workers busy-wait after each call and steal the cores our elementwise
/// kernels need; measured 10% of a training step).

/// y = x W^T + b. With `active` (evaluation of a padded batch, plain row groups), only the
/// active rows are computed, in one packed GEMM whose shape does not depend on the padding;
/// the other rows of y are 0.
public func linearForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, inFeatures: Int, outFeatures: Int, groups: RowGroups = .single,
                          active: ActiveRows? = nil) {
    if let active, !active.isAll, !groups.deterministic {
        active.runPacked(input, rows: rows, inCols: inFeatures, into: out, outCols: outFeatures, caller: "linearForward") {
            linearForward(out: $1, input: $0, weight: weight, bias: bias, rows: $2, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        return
    }
    groups.forEachRowBlock(rows, minChunk: 32) { r in
        let o = r.lowerBound
        BLAS.sgemm(transB: true, m: r.count, n: outFeatures, k: inFeatures,
                   a: input + o * inFeatures, lda: inFeatures, b: weight, ldb: inFeatures,
                   c: out + o * outFeatures, ldc: outFeatures)
        if let bias { q8AddRowBias(out + o * outFeatures, bias, rows: r.count, cols: outFeatures) }
    }
}

/// dInput = dOut W (written, or added when `accumulateInput`; skipped when nil);
/// dWeight += dOut^T x; dBias += sum_rows dOut. With `groups` of more than one, the sums
/// over rows are taken per row group and added in the groups' fixed tree (RowGroups).
public func linearBackward(dInput: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                           dWeight: UnsafeMutablePointer<Float>,
                           dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
                           input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           rows: Int, inFeatures: Int, outFeatures: Int, groups: RowGroups = .single) {
    if let dInput {
        groups.forEachRowBlock(rows, minChunk: 32) { r in
            let o = r.lowerBound
            BLAS.sgemm(m: r.count, n: inFeatures, k: outFeatures, a: dOut + o * outFeatures, lda: outFeatures,
                       b: weight, ldb: inFeatures, beta: accumulateInput ? 1 : 0,
                       c: dInput + o * inFeatures, ldc: inFeatures)
        }
    }
    let m = groups.count
    if m == 1 {
        weightGradient(dWeight: dWeight, dBias: dBias, dOut: dOut, input: input, rows: rows,
                       inFeatures: inFeatures, outFeatures: outFeatures, beta: 1, groups: groups)
        return
    }
    precondition(rows % m == 0, "linearBackward: \(rows) rows do not split into \(m) groups")
    let wCount = outFeatures * inFeatures, n = wCount + (dBias == nil ? 0 : outFeatures)
    let partials = groups.scratch(m * n)
    for q in 0..<m {
        let r = groups.rows(ofGroup: q, rows: rows), part = partials + q * n
        if dBias != nil { (part + wCount).update(repeating: 0, count: outFeatures) }
        weightGradient(dWeight: part, dBias: dBias == nil ? nil : part + wCount,
                       dOut: dOut + r.lowerBound * outFeatures, input: input + r.lowerBound * inFeatures,
                       rows: r.count, inFeatures: inFeatures, outFeatures: outFeatures, beta: 0, groups: groups)
    }
    groups.combine(partials, stride: n, count: n)
    add(out: dWeight, dWeight, partials, count: wCount)
    if let dBias { add(out: dBias, dBias, partials + wCount, count: outFeatures) }
}

/// dWeight = beta dWeight + dOut^T x; dBias += sum_rows dOut. Split over output features
/// (fixed blocks when `groups` is deterministic).
private func weightGradient(dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                            dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
                            rows: Int, inFeatures: Int, outFeatures: Int, beta: Float, groups: RowGroups) {
    // dW rows o..<o+n: dOut[:, o..<o+n]^T x, and the matching bias slice.
    groups.forEachFeatureBlock(outFeatures, minChunk: 16) { r in
        let o = r.lowerBound
        BLAS.sgemm(transA: true, m: r.count, n: inFeatures, k: rows, a: dOut + o, lda: outFeatures,
                   b: input, ldb: inFeatures, beta: beta, c: dWeight + o * inFeatures, ldc: inFeatures)
        if let dBias { q8AddColumnSums(dBias + o, dOut + o, rows: rows, cols: r.count, ld: outFeatures) }
    }
}
