import CKernels

/// Scaled dot-product multi-head attention, as BERT's self-attention between the Q/K/V
/// projections and the output projection:
///   P = softmax(Q_h K_h^T / sqrt(D) + mask),  Pd = dropout(P),  context_h = Pd V_h
/// Legend: B batch, T sequence, H heads, D head size, C = H D.
/// q, k, v, context [B, T, C] (head h is columns h*D..<(h+1)*D, read in place with ld = C);
/// keyMask [B, T] (1 = token, 0 = padding).
///
/// Right padding (a mask of n ones then zeros, as BERT batches are) is handled by computing
/// over the n real keys only: the scores are [T, n], the softmax and P V sum over n columns.
/// Besides skipping work on padding, this makes each example's result independent of how far
/// its batch is padded, so training, evaluation and the int8 runtime agree bit for bit
/// whatever the batching. Other masks take the general path over all T keys.
public struct AttentionShape: Sendable {
    public var batch: Int, seqLen: Int, heads: Int, headDim: Int
    public init(batch: Int, seqLen: Int, heads: Int, headDim: Int) {
        self.batch = batch; self.seqLen = seqLen; self.heads = heads; self.headDim = headDim
    }
    public var channels: Int { heads * headDim }
    public var probsCount: Int { batch * heads * seqLen * seqLen }
}

/// The keys each example attends over: n for a right-padded mask row (n ones, then zeros),
/// with no mask needed; T with the row's mask otherwise.
@inline(__always)
public func attendedKeys(_ keyMask: UnsafePointer<Float>, example b: Int, seqLen T: Int) -> (count: Int, mask: UnsafePointer<Float>?) {
    let row = keyMask + b * T
    var n = 0
    while n < T && row[n] != 0 { n += 1 }
    var j = n
    while j < T && row[j] == 0 { j += 1 }
    return j == T && n > 0 ? (n, nil) : (T, row)
}

/// One (example, head): P [T, n] (row stride n) = softmax(scale Q K^T), context = P' V where
/// P' = dropout(P) written to `dropped` (or P itself when `dropped` is nil). q, k, v have row
/// stride `ld` (C unless given), context row stride C.
@inline(__always)
func attentionHeadForward(context: UnsafeMutablePointer<Float>, probs P: UnsafeMutablePointer<Float>,
                          dropped: UnsafeMutablePointer<Float>?, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                          v: UnsafePointer<Float>, T: Int, keys n: Int, mask: UnsafePointer<Float>?, C: Int, D: Int,
                          scale: Float, dropout p: Float = 0, dropoutMask: UnsafeMutablePointer<UInt8>? = nil,
                          dropoutRowKey: (Int) -> UInt64 = { _ in 0 }, ld: Int? = nil, queries: Int? = nil) {
    let ld = ld ?? C
    if let queries, queries < T {
        // Only the first `queries` rows: the GEMM shapes no longer depend on T; the rest get 0.
        for t in queries..<T { (context + t * C).update(repeating: 0, count: D) }
        return attentionHeadForward(context: context, probs: P, dropped: dropped, q: q, k: k, v: v, T: queries,
                                    keys: n, mask: mask, C: C, D: D, scale: scale, dropout: p, dropoutMask: dropoutMask,
                                    dropoutRowKey: dropoutRowKey, ld: ld)
    }
    // P = softmax(scale Q K^T) and context = P' V on the attention kernels (attention.c): the
    // same bits as the runtime's fused q8_attention_head, on the AVX-512 and AVX2 builds alike.
    withUnsafeTemporaryAllocation(of: Float.self, capacity: (n + 15) / 16 * 16 * D) { kt in
        q8_attention_probs(P, Int32(n), q, Int32(ld), k, Int32(ld), mask, Int32(T), Int32(n), Int32(D), scale,
                           kt.baseAddress!)
    }
    var Pv = UnsafePointer(P)
    if let dropped {
        if p > 0, let dropoutMask {
            for t in 0..<T {
                q8_dropout_forward_row(dropped + t * n, dropoutMask + t * n, P + t * n, dropoutRowKey(t), p, n)
            }
        } else {
            dropped.update(from: P, count: T * n)
        }
        Pv = UnsafePointer(dropped)
    }
    q8_attention_context(context, Int32(C), Pv, Int32(n), v, Int32(ld), Int32(T), Int32(n), Int32(D))
}

/// Training forward: saves probs and dropped [B, H, T, T] (each head's first T n floats used)
/// and the dropout mask for backward. `dropoutRowKey(b, h, t)` keys the mask of query row t of
/// head h of example b. `realQueriesOnly` (evaluation, no backward): a right-padded example's
/// padding query rows are not computed (their context is 0), so nothing depends on T.
public func attentionForward(context: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                             dropped: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>,
                             q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             keyMask: UnsafePointer<Float>, shape s: AttentionShape,
                             dropout p: Float, realQueriesOnly: Bool = false,
                             dropoutRowKey: (Int, Int, Int) -> UInt64) {
    let T = s.seqLen, C = s.channels, D = s.headDim
    let scale = 1 / Float(D).squareRoot()
    Parallel.forEachChunk(s.batch * s.heads) { range in
        for bh in range {
            let b = bh / s.heads, h = bh % s.heads
            let base = b * T * C + h * D
            let keys = attendedKeys(keyMask, example: b, seqLen: T)
            attentionHeadForward(context: context + base, probs: probs + bh * T * T, dropped: dropped + bh * T * T,
                                 q: q + base, k: k + base, v: v + base, T: T, keys: keys.count, mask: keys.mask,
                                 C: C, D: D, scale: scale, dropout: p, dropoutMask: mask + bh * T * T,
                                 dropoutRowKey: { t in dropoutRowKey(b, h, t) },
                                 queries: realQueriesOnly && keys.mask == nil ? keys.count : nil)
        }
    }
}

/// Inference forward (no dropout, nothing saved): each (example, head) is a task taken by
/// whichever of `Parallel.threads` workers is free (Parallel.forEachTask), run by the fused kernel q8_attention_head (scores, softmax and
/// context per block of 6 query rows) with its scratch (K^T and a 6 x n block of P) on that
/// thread's stack.
/// q, k, v [B, T, *] have row stride `inputStride` (C, or 3 C when they sit side by side in
/// one buffer); context [B, T, C]. The same bits as `attentionForward` without dropout.
public func attentionInference(context: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                               v: UnsafePointer<Float>, inputStride: Int? = nil, keyMask: UnsafePointer<Float>,
                               shape s: AttentionShape) {
    Parallel.forEachTask(s.batch * s.heads) { bh in
        attentionInferenceHeads(context: context, q: q, k: k, v: v, inputStride: inputStride, keyMask: keyMask,
                                shape: s, example: bh / s.heads, heads: bh % s.heads ..< bh % s.heads + 1)
    }
}

/// `attentionInference` for example b only, heads `heads` (all by default), one after another on
/// the calling thread: the runtime's example-major schedule (Int8Model), where a task holds whole
/// examples. The same bits per (example, head) as `attentionInference`.
public func attentionInferenceHeads(context: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                    v: UnsafePointer<Float>, inputStride: Int? = nil, keyMask: UnsafePointer<Float>,
                                    shape s: AttentionShape, example b: Int, heads: Range<Int>? = nil) {
    let T = s.seqLen, C = s.channels, D = s.headDim, ld = inputStride ?? s.channels
    let scale = 1 / Float(D).squareRoot()
    let keys = attendedKeys(keyMask, example: b, seqLen: T)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: q8_attention_scratch_floats(Int32(T), Int32(D))) { scratch in
        for h in heads ?? 0..<s.heads {
            let base = b * T * ld + h * D
            q8_attention_head(context + b * T * C + h * D, Int32(C), q + base, Int32(ld), k + base, Int32(ld),
                              v + base, Int32(ld), keys.mask, Int32(T), Int32(keys.count), Int32(D), scale,
                              scratch.baseAddress!)
        }
    }
}

/// Backward: writes dQ, dK, dV [B, T, C] from dContext. `scratch` holds 2 T x T floats per
/// worker thread.
public func attentionBackward(dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>,
                              dV: UnsafeMutablePointer<Float>, dContext: UnsafePointer<Float>,
                              q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                              probs: UnsafePointer<Float>, dropped: UnsafePointer<Float>,
                              mask: UnsafePointer<UInt8>, keyMask: UnsafePointer<Float>, shape s: AttentionShape,
                              dropout p: Float, scratch: FloatBuffer) {
    let T = s.seqLen, C = s.channels, D = s.headDim
    let scale = 1 / Float(D).squareRoot()
    let chunks = max(1, min(Parallel.threads, s.batch * s.heads))
    precondition(scratch.count >= chunks * 2 * T * T, "attentionBackward: scratch too small")
    DispatchChunks.run(s.batch * s.heads, chunks: chunks) { c, range in
        let dPd = scratch.pointer + c * 2 * T * T, dS = dPd + T * T
        for bh in range {
            let b = bh / s.heads, h = bh % s.heads
            let base = b * T * C + h * D
            let n = attendedKeys(keyMask, example: b, seqLen: T).count
            let P = probs + bh * T * T, Pd = dropped + bh * T * T
            // dPd [T, n] = dContext_h V_h^T ; dV_h [n, D] = Pd^T dContext_h
            BLAS.sgemm(transB: true, m: T, n: n, k: D, a: dContext + base, lda: C, b: v + base, ldb: C, c: dPd, ldc: n)
            BLAS.sgemm(transA: true, m: n, n: D, k: T, a: Pd, lda: n, b: dContext + base, ldb: C,
                       c: dV + base, ldc: C)
            if p > 0 { q8_dropout_backward(dPd, dPd, mask + bh * T * T, p, T * n) }
            q8_softmax_backward(dS, dPd, P, T, n)
            // scores = scale Q K^T: dQ_h = scale dS K_h ; dK_h [n, D] = scale dS^T Q_h
            BLAS.sgemm(m: T, n: D, k: n, alpha: scale, a: dS, lda: n, b: k + base, ldb: C, c: dQ + base, ldc: C)
            BLAS.sgemm(transA: true, m: n, n: D, k: T, alpha: scale, a: dS, lda: n, b: q + base, ldb: C,
                       c: dK + base, ldc: C)
            // Padding keys got no attention: their dK and dV rows are 0.
            for j in n..<T {
                (dK + base + j * C).update(repeating: 0, count: D)
                (dV + base + j * C).update(repeating: 0, count: D)
            }
        }
    }
}
