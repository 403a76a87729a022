import CKernels

/// LayerNorm over the last dimension. in/out [rows, dim]; weight, bias [dim];
/// mean, rstd [rows] saved for backward.
public func layerNormForward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                             rstd: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                             weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                             rows: Int, dim: Int, eps: Float) {
    Parallel.forEachChunk(rows, minChunk: 16) { r in
        let o = r.lowerBound
        q8_layernorm_forward(out + o * dim, mean + o, rstd + o, input + o * dim, weight, bias,
                             r.count, dim, eps)
    }
}

/// Rows per partial sum of LayerNorm's parameter gradients: fixed, so that the sums do not
/// depend on the thread count.
public let layerNormBackwardChunkRows = 32

/// Floats of `scratch` that layerNormBackward needs for `rows` rows in up to `groups`
/// groups: m ceil(rows / (32 m)) <= rows / 32 + 1 + m chunks of 2 dim.
public func layerNormBackwardScratchCount(rows: Int, dim: Int, groups: Int = 1) -> Int {
    (rows / layerNormBackwardChunkRows + 1 + max(groups, 1)) * 2 * dim
}

/// dInput written; dWeight, dBias accumulated. The parameter gradients are summed per chunk
/// of `layerNormBackwardChunkRows` rows into `scratch` ([chunks, 2, dim]), the chunks of each
/// row group in order, then the groups in their fixed tree (RowGroups): the result does not
/// depend on the thread count, nor (with groups) on how the batch is spread over ranks.
public func layerNormBackward(dInput: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                              dBias: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                              input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              rows: Int, dim: Int, scratch: FloatBuffer, groups: RowGroups = .single) {
    let m = groups.count
    precondition(rows % m == 0, "layerNormBackward: \(rows) rows do not split into \(m) groups")
    let perGroup = rows / m, chunkRows = layerNormBackwardChunkRows
    let chunksPerGroup = max(1, (perGroup + chunkRows - 1) / chunkRows), chunks = m * chunksPerGroup
    precondition(scratch.count >= chunks * 2 * dim, "layerNormBackward: scratch too small")
    let s = scratch.pointer, stride = 2 * dim
    s.update(repeating: 0, count: chunks * stride)
    Parallel.forEachChunk(chunks) { range in
        for c in range {
            let q = c / chunksPerGroup, j = c % chunksPerGroup
            let lo = q * perGroup + j * chunkRows, hi = min(lo + chunkRows, (q + 1) * perGroup)
            guard lo < hi else { continue }
            q8_layernorm_backward(dInput + lo * dim, s + c * stride, s + c * stride + dim,
                                  dOut + lo * dim, input + lo * dim, weight, mean + lo, rstd + lo,
                                  hi - lo, dim)
        }
    }
    // Each group's chunks in order into its first chunk; then the groups' tree.
    for q in 0..<m {
        let first = s + q * chunksPerGroup * stride
        for j in 1..<chunksPerGroup {
            q8_add(first, first, first + j * stride, stride)
        }
    }
    groups.combine(s, stride: chunksPerGroup * stride, count: stride)
    q8_add(dWeight, dWeight, s, dim)
    q8_add(dBias, dBias, s + dim, dim)
}
