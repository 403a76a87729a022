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
/// whose embedding stays fixed). Serial: rows may share an id. With `groups` of more than
/// one, each id's rows are summed per row group and the groups added in their fixed tree
/// (RowGroups), into a compact table of the ids present before the scatter.
public func embeddingBackward(dTable: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                              ids: UnsafePointer<Int32>, rows: Int, dim: Int, skipping: Int32 = -1,
                              tableRows: Int = 0, groups: RowGroups = .single) {
    let m = groups.count
    if m == 1 {
        for r in 0..<rows where ids[r] != skipping {
            let dst = dTable + Int(ids[r]) * dim, src = dOut + r * dim
            for i in 0..<dim { dst[i] += src[i] }
        }
        return
    }
    precondition(rows % m == 0, "embeddingBackward: \(rows) rows do not split into \(m) groups")
    precondition(tableRows > 0, "embeddingBackward: grouped reduction needs tableRows")
    // Compact slot per distinct id, in order of first appearance.
    let slot = groups.slotMap(tableRows), present = groups.idList(rows)
    var u = 0  // ids in present[0..<u]
    for r in 0..<rows where ids[r] != skipping && slot[Int(ids[r])] < 0 {
        slot[Int(ids[r])] = Int32(u)
        present[u] = ids[r]
        u += 1
    }
    let n = u * dim
    guard u > 0 else { return }
    let partials = groups.scratch(m * n)
    partials.update(repeating: 0, count: m * n)
    for q in 0..<m {
        let part = partials + q * n
        for r in groups.rows(ofGroup: q, rows: rows) where ids[r] != skipping {
            let dst = part + Int(slot[Int(ids[r])]) * dim, src = dOut + r * dim
            for i in 0..<dim { dst[i] += src[i] }
        }
    }
    groups.combine(partials, stride: n, count: n)
    for k in 0..<u {
        let id = present[k]
        let dst = dTable + Int(id) * dim, src = partials + k * dim
        for i in 0..<dim { dst[i] += src[i] }
        slot[Int(id)] = -1
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
