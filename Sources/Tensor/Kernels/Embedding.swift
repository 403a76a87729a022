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

/// dTable[ids[r], :] += dOut[r, :]. Serial: rows may share an id.
public func embeddingBackward(dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                              ids: UnsafePointer<Int32>, rows: Int, dim: Int) {
    for r in 0..<rows {
        let dst = dTable + Int(ids[r]) * dim, src = dOut + r * dim
        for i in 0..<dim { dst[i] += src[i] }
    }
}
