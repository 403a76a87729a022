import CKernels

/// Scaled dot-product multi-head attention, as BERT's self-attention between the Q/K/V
/// projections and the output projection:
///   P = softmax(Q_h K_h^T / sqrt(D) + mask),  Pd = dropout(P),  context_h = Pd V_h
/// Legend: B batch, T sequence, H heads, D head size, C = H D.
/// q, k, v, context [B, T, C] (head h is columns h*D..<(h+1)*D, read in place with ld = C);
/// keyMask [B, T] (1 = token, 0 = padding); probs, dropped [B, H, T, T] saved for backward.
public struct AttentionShape: Sendable {
    public var batch: Int, seqLen: Int, heads: Int, headDim: Int
    public init(batch: Int, seqLen: Int, heads: Int, headDim: Int) {
        self.batch = batch; self.seqLen = seqLen; self.heads = heads; self.headDim = headDim
    }
    public var channels: Int { heads * headDim }
    public var probsCount: Int { batch * heads * seqLen * seqLen }
}

/// Forward. `dropoutRowKey(b, h, t)` keys the dropout mask of query row t of head h of
/// example b; `mask` [B, H, T, T] receives it. With p == 0, dropped == probs is copied.
public func attentionForward(context: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                             dropped: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>,
                             q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             keyMask: UnsafePointer<Float>, shape s: AttentionShape,
                             dropout p: Float, dropoutRowKey: (Int, Int, Int) -> UInt64) {
    let T = s.seqLen, C = s.channels, D = s.headDim
    let scale = 1 / Float(D).squareRoot()
    Parallel.forEachChunk(s.batch * s.heads) { range in
        for bh in range {
            let b = bh / s.heads, h = bh % s.heads
            let base = b * T * C + h * D
            let P = probs + bh * T * T, Pd = dropped + bh * T * T
            // scores into P, then softmax in place.
            BLAS.sgemm(transB: true, m: T, n: T, k: D, alpha: scale, a: q + base, lda: C,
                       b: k + base, ldb: C, c: P, ldc: T)
            q8_softmax_masked_forward(P, P, keyMask + b * T, T, T)
            if p > 0 {
                for t in 0..<T {
                    q8_dropout_forward_row(Pd + t * T, mask + bh * T * T + t * T, P + t * T,
                                           dropoutRowKey(b, h, t), p, T)
                }
            } else {
                Pd.update(from: P, count: T * T)
            }
            BLAS.sgemm(m: T, n: D, k: T, a: Pd, lda: T, b: v + base, ldb: C,
                       c: context + base, ldc: C)
        }
    }
}

/// Backward: writes dQ, dK, dV [B, T, C] from dContext. `scratch` holds 2 T x T floats per
/// worker thread.
public func attentionBackward(dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>,
                              dV: UnsafeMutablePointer<Float>, dContext: UnsafePointer<Float>,
                              q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                              probs: UnsafePointer<Float>, dropped: UnsafePointer<Float>,
                              mask: UnsafePointer<UInt8>, shape s: AttentionShape, dropout p: Float,
                              scratch: FloatBuffer) {
    let T = s.seqLen, C = s.channels, D = s.headDim
    let scale = 1 / Float(D).squareRoot()
    let chunks = max(1, min(Parallel.threads, s.batch * s.heads))
    precondition(scratch.count >= chunks * 2 * T * T, "attentionBackward: scratch too small")
    DispatchChunks.run(s.batch * s.heads, chunks: chunks) { c, range in
        let dPd = scratch.pointer + c * 2 * T * T, dS = dPd + T * T
        for bh in range {
            let b = bh / s.heads, h = bh % s.heads
            let base = b * T * C + h * D
            let P = probs + bh * T * T, Pd = dropped + bh * T * T
            // dPd = dContext_h V_h^T ; dV_h = Pd^T dContext_h
            BLAS.sgemm(transB: true, m: T, n: T, k: D, a: dContext + base, lda: C,
                       b: v + base, ldb: C, c: dPd, ldc: T)
            BLAS.sgemm(transA: true, m: T, n: D, k: T, a: Pd, lda: T, b: dContext + base,
                       ldb: C, c: dV + base, ldc: C)
            if p > 0 { q8_dropout_backward(dPd, dPd, mask + bh * T * T, p, T * T) }
            q8_softmax_backward(dS, dPd, P, T, T)
            // scores = scale Q K^T: dQ_h = scale dS K_h ; dK_h = scale dS^T Q_h
            BLAS.sgemm(m: T, n: D, k: T, alpha: scale, a: dS, lda: T, b: k + base, ldb: C,
                       c: dQ + base, ldc: C)
            BLAS.sgemm(transA: true, m: T, n: D, k: T, alpha: scale, a: dS, lda: T,
                       b: q + base, ldb: C, c: dK + base, ldc: C)
        }
    }
}
