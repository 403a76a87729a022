import Tensor

/// One step's row-sparse exchange of a table's gradient [rows, width] (BERT's word
/// embeddings: a 32 x 64 batch touches at most 2048 of 30522 rows, so the dense allreduce
/// sends 15x more than it must).
///
/// Per step, on every rank:
///
///     prepare(ids)      this rank's token ids -> its distinct rows; MPI_Allgather(v) of
///                       them; the union U, sorted (the same list on every rank)
///     pack(table)       packed[k, :] = grad[U[k], :]          [|U|, width]
///     (allreduce of packed: MPI's, or TreeAllreduce)
///     unpack(table, W)  grad[U[k], :] = packed[k, :] / W
///
/// Rows outside U have no gradient on any rank (backward adds only into the rows of the
/// batch's ids), so they are zero before and after, as the dense sum leaves them. Each
/// packed element is reduced exactly as its dense counterpart would be: the same addends,
/// and for TreeAllreduce the same order (its adds do not depend on positions), so the
/// grouped mode is byte-identical to the dense path; MPI's allreduce may pick another
/// algorithm for the smaller message, equal within rounding.
///
/// When |U| exceeds `denseFraction` of the table (many ranks, long batches), the step
/// falls back to the dense exchange: the same decision on every rank, as U is.
public final class RowSparseExchange {
    public let table: BucketPlan.RowSparseTable
    /// Largest union exchanged by rows: above it, the step is dense.
    public let maxRows: Int
    /// The union of the ranks' rows this step, ascending; valid after `prepare`.
    public private(set) var union: [Int32] = []
    /// Whether this step exchanges rows (prepared and |U| <= maxRows).
    public private(set) var isSparse = false
    /// [maxRows, width]: the union's rows, reduced in place.
    let packed: FloatBuffer
    /// TreeAllreduce's scratch for `packed` (deterministic reducers only).
    let scratch: FloatBuffer?

    private var marks: [UInt8]            // [rows], all zero between calls
    private var local: [Int32] = []       // this rank's distinct rows
    private var gathered: [Int32] = []    // every rank's, rank after rank
    private var counts: [Int32] = []

    /// `denseFraction` in 0...1: the largest union, as a fraction of the table's rows,
    /// still exchanged by rows (0: always dense).
    public init(table: BucketPlan.RowSparseTable, denseFraction: Double, deterministic: Bool) {
        precondition((0...1).contains(denseFraction), "RowSparseExchange: dense fraction \(denseFraction) outside 0...1")
        self.table = table
        maxRows = Int((Double(table.rows) * denseFraction).rounded(.down))
        packed = FloatBuffer(count: max(maxRows * table.width, 1))
        scratch = deterministic ? FloatBuffer(count: TreeAllreduce.scratchCount(maxRows * table.width)) : nil
        marks = [UInt8](repeating: 0, count: table.rows)
        union.reserveCapacity(maxRows)
        local.reserveCapacity(min(table.rows, 4096))
    }

    /// This rank's distinct rows this step (the ids it sent).
    public var localRowCount: Int { local.count }

    /// Floats the step's reduction covers: |U| x width when sparse.
    public var packedCount: Int { union.count * table.width }

    /// Computes the step's union from this rank's ids (rows of the table, any order,
    /// repeats allowed; `skipping` is left out: the padding token, whose row backward does
    /// not touch). A collective: every rank calls it, in the same place of the step.
    public func prepare(ids: UnsafeBufferPointer<Int32>, skipping: Int32, communicator: Communicator) throws {
        local.removeAll(keepingCapacity: true)
        for id in ids where id != skipping {
            precondition(id >= 0 && Int(id) < table.rows, "RowSparseExchange: id \(id) outside the table's \(table.rows) rows")
            if marks[Int(id)] == 0 { marks[Int(id)] = 1; local.append(id) }
        }
        for id in local { marks[Int(id)] = 0 }
        try local.withUnsafeBufferPointer {
            try communicator.allgatherVariable($0, into: &gathered, counts: &counts)
        }
        // The union, ascending: marks, then one pass over the table's rows.
        for id in gathered {
            precondition(id >= 0 && Int(id) < table.rows, "RowSparseExchange: a rank sent row \(id) of \(table.rows)")
            marks[Int(id)] = 1
        }
        union.removeAll(keepingCapacity: true)
        marks.withUnsafeMutableBufferPointer { m in
            for r in 0..<table.rows where m[r] != 0 {
                union.append(Int32(r))
                m[r] = 0
            }
        }
        isSparse = union.count <= maxRows
    }

    /// Ends the step: the next one is dense unless prepared again.
    func reset() { isSparse = false }

    /// packed[k, :] = grad[U[k], :]; `base` is the flat gradient buffer.
    func pack(from base: UnsafePointer<Float>) {
        let w = table.width, src = base + table.offset, dst = packed.pointer
        union.withUnsafeBufferPointer { u in
            Parallel.forEachChunk(u.count, minChunk: 256) { r in
                for k in r { (dst + k * w).update(from: src + Int(u[k]) * w, count: w) }
            }
        }
    }

    /// grad[U[k], :] = packed[k, :] / divisor (the dense path's average, bit for bit).
    func unpack(into base: UnsafeMutablePointer<Float>, divisor: Float) {
        let w = table.width, dst = base + table.offset, src = packed.pointer
        union.withUnsafeBufferPointer { u in
            Parallel.forEachChunk(u.count, minChunk: 256) { r in
                for k in r {
                    let d = dst + Int(u[k]) * w, s = src + k * w
                    if divisor == 1 { d.update(from: s, count: w) } else { for i in 0..<w { d[i] = s[i] / divisor } }
                }
            }
        }
    }
}
