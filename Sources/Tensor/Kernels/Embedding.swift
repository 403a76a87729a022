import CKernels

/// Embedding lookup: out[r, :] (+)= table[ids[r], :]. ids [rows], table [vocab, dim].
/// `accumulate` adds into out (for BERT's word + position + token-type sum).
public func embeddingForward(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                             table: UnsafePointer<Float>, rows: Int, dim: Int, accumulate: Bool) {
    Parallel.forEachChunk(rows, minChunk: 64) { range in
        for r in range {
            let src = table + Int(ids[r]) * dim, dst = out + r * dim
            if accumulate {
                for i in 0..<dim { dst[i] += src[i] }
            } else {
                dst.update(from: src, count: dim)
            }
        }
    }
}

/// dTable[ids[r], :] += dOut[r, :], except for rows whose id is `skipping` (a padding index,
/// whose embedding stays fixed). Serial: rows may share an id.
public func embeddingBackward(dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                              ids: UnsafePointer<Int32>, rows: Int, dim: Int, skipping: Int32 = -1) {
    for r in 0..<rows where ids[r] != skipping {
        let dst = dTable + Int(ids[r]) * dim, src = dOut + r * dim
        for i in 0..<dim { dst[i] += src[i] }
    }
}

/// out[r, :] (+)= fq(table[ids[r], :]) with fq the fake quantization at `scale` (Q8BERT
/// embeddings): the rows are quantized as they are gathered, not the whole table.
public func embeddingForwardQuantized(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                                      table: UnsafePointer<Float>, rows: Int, dim: Int, accumulate: Bool,
                                      scale: Float, maxQ: Float) {
    Parallel.forEachChunk(rows, minChunk: 64) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: dim) { tmp in
            let t = tmp.baseAddress!
            for r in range {
                let src = table + Int(ids[r]) * dim, dst = out + r * dim
                if accumulate {
                    q8_fake_quantize(t, src, dim, scale, maxQ)
                    q8_add(dst, dst, t, dim)
                } else {
                    q8_fake_quantize(dst, src, dim, scale, maxQ)
                }
            }
        }
    }
}
