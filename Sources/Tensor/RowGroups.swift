import CKernels

/// Deterministic reductions over a batch's rows: the rows are `count` equal contiguous
/// groups (m, a power of two), and every sum over rows (a weight gradient dOut^T x, a bias
/// or LayerNorm sum, an embedding scatter) is computed per group, then the m partial sums
/// are added in one fixed tree:
///
///     level s = m/2, m/4, ..., 1:   partial[a] += partial[a + s]   for a in 0..<s
///
/// so group q meets group q + m/2 first and the last addition joins the even and the odd
/// groups. Data parallelism continues the same tree across ranks (Dist's TreeAllreduce):
/// with G global groups and W ranks, rank r holds the groups g = r, r + W, ... as its m =
/// G / W local groups, and the tree over local groups followed by recursive halving over
/// ranks (partner distance W/2, ..., 1) adds exactly what a single process adds with m = G.
/// Hence training results that are bitwise independent of the rank count (any W dividing G).
///
/// OpenBLAS's result for a row of a GEMM depends on the call's shape (its number of rows),
/// so `deterministic` also makes the Linear kernels issue their GEMMs in fixed blocks: at most
/// `blockRows` rows from each group's start, `blockFeatures` output features, whatever the
/// thread count; the same calls, hence the same bits, in a single process and on any rank.
///
/// Not deterministic (the default): one plain sum over the rows, each kernel split into one
/// chunk per thread. The scratch grows on first use and is reused (one instance per model;
/// not thread-safe).
public final class RowGroups {
    /// m, the groups of the current batch.
    public private(set) var count: Int
    /// Whether reductions and GEMM blocks follow the fixed scheme above.
    public private(set) var deterministic = false
    /// Rows per GEMM block in deterministic mode.
    public static let blockRows = 128
    /// Output features per weight-gradient GEMM block in deterministic mode.
    public static let blockFeatures = 64
    private var floats: FloatBuffer?
    private var slots: Int32Buffer?
    private var ids: Int32Buffer?

    public init(count: Int = 1) {
        precondition(count >= 1 && count & (count - 1) == 0, "RowGroups: \(count) groups is not a power of two")
        self.count = count
    }

    /// One group (the plain reductions); never allocates.
    public static let single = RowGroups()

    /// nil: plain reductions; m: deterministic, m groups (m may be 1: a rank holding one group).
    public func configure(deterministicGroups m: Int?) {
        precondition(self !== RowGroups.single || m == nil, "RowGroups.single is plain")
        let g = m ?? 1
        precondition(g >= 1 && g & (g - 1) == 0, "RowGroups: \(g) groups is not a power of two")
        count = g
        deterministic = m != nil
    }

    /// Runs `body` over blocks of 0..<rows in parallel: fixed blocks (deterministic), or one
    /// chunk per thread of at least `minChunk` rows.
    public func forEachRowBlock(_ rows: Int, minChunk: Int, _ body: (Range<Int>) -> Void) {
        guard deterministic else { return Parallel.forEachChunk(rows, minChunk: minChunk, body) }
        precondition(rows % count == 0, "RowGroups: \(rows) rows do not split into \(count) groups")
        let per = rows / count, perGroup = max(1, (per + Self.blockRows - 1) / Self.blockRows)
        Parallel.forEachChunk(count * perGroup) { range in
            for b in range {
                let lo = (b / perGroup) * per + (b % perGroup) * Self.blockRows
                let hi = min(lo + Self.blockRows, (b / perGroup + 1) * per)
                if lo < hi { body(lo..<hi) }
            }
        }
    }

    /// Runs `body` over blocks of 0..<features in parallel: fixed blocks of `blockFeatures`
    /// (deterministic), or one chunk per thread of at least `minChunk`.
    public func forEachFeatureBlock(_ features: Int, minChunk: Int, _ body: (Range<Int>) -> Void) {
        guard deterministic else { return Parallel.forEachChunk(features, minChunk: minChunk, body) }
        let blocks = (features + Self.blockFeatures - 1) / Self.blockFeatures
        Parallel.forEachChunk(blocks) { range in
            for b in range { body(b * Self.blockFeatures ..< min((b + 1) * Self.blockFeatures, features)) }
        }
    }

    /// Rows of group q when `rows` rows are split into `count` groups (rows % count == 0).
    @inline(__always)
    public func rows(ofGroup q: Int, rows: Int) -> Range<Int> {
        let per = rows / count
        return q * per ..< (q + 1) * per
    }

    /// Scratch of at least n floats (contents undefined), valid until the next call.
    public func scratch(_ n: Int) -> UnsafeMutablePointer<Float> {
        if floats == nil || floats!.count < n { floats = FloatBuffer(count: n) }
        return floats!.pointer
    }

    /// A map of at least n Int32 slots, all -1; callers reset what they set to -1.
    func slotMap(_ n: Int) -> UnsafeMutablePointer<Int32> {
        if slots == nil || slots!.count < n {
            slots = Int32Buffer(count: n)
            slots!.pointer.update(repeating: -1, count: n)
        }
        return slots!.pointer
    }

    /// Scratch of at least n Int32 (contents undefined), valid until the next call.
    func idList(_ n: Int) -> UnsafeMutablePointer<Int32> {
        if ids == nil || ids!.count < n { ids = Int32Buffer(count: n) }
        return ids!.pointer
    }

    /// Adds the m partial sums at base + q * stride (n floats each) in the canonical tree;
    /// the total is left in partial 0.
    public func combine(_ base: UnsafeMutablePointer<Float>, stride: Int, count n: Int) {
        var s = count / 2
        while s >= 1 {
            for a in 0..<s {
                let dst = base + a * stride, src = base + (a + s) * stride
                Parallel.forEachChunk(n, minChunk: 16384) { r in
                    q8_add(dst + r.lowerBound, dst + r.lowerBound, src + r.lowerBound, r.count)
                }
            }
            s /= 2
        }
    }
}
