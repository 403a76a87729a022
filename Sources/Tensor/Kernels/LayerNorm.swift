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

/// dInput written; dWeight, dBias accumulated. Each worker sums its rows' parameter
/// gradients into a private slice of `scratch` ([threads, 2, dim]), then the slices are added.
public func layerNormBackward(dInput: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                              dBias: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                              input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              rows: Int, dim: Int, scratch: FloatBuffer) {
    let chunks = max(1, min(Parallel.threads, rows / 16))
    precondition(scratch.count >= chunks * 2 * dim, "layerNormBackward: scratch too small")
    scratch.pointer.update(repeating: 0, count: chunks * 2 * dim)
    let s = scratch.pointer
    DispatchChunks.run(rows, chunks: chunks) { c, r in
        let o = r.lowerBound
        q8_layernorm_backward(dInput + o * dim, s + c * 2 * dim, s + c * 2 * dim + dim,
                              dOut + o * dim, input + o * dim, weight, mean + o, rstd + o,
                              r.count, dim)
    }
    for c in 0..<chunks {
        q8_add(dWeight, dWeight, s + c * 2 * dim, dim)
        q8_add(dBias, dBias, s + c * 2 * dim + dim, dim)
    }
}
