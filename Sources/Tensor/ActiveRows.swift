/// The rows of a padded batch that hold tokens, for evaluation: Linear layers run their GEMMs
/// over these rows only, packed contiguously, so the GEMM shapes (and OpenBLAS's result for a
/// row, which depends on the call's shape and the row's place in it) do not depend on how far
/// the batch is padded. Padding rows of the output are 0. Also skips the padding's work.
///
/// `set(mask:rows:)` once per forward; the packing scratch grows on first use and is reused.
/// One instance per model; not thread-safe.
public final class ActiveRows {
    /// Rows with a nonzero mask, and all rows, of the current batch.
    public private(set) var count = 0
    public private(set) var total = 0
    /// Whether every row holds a token (nothing to pack).
    public var isAll: Bool { count == total }
    private var indices: Int32Buffer?
    private var packedInput: FloatBuffer?
    private var packedOutput: FloatBuffer?

    public init() {}

    /// Takes the rows r of 0..<rows with mask[r] != 0 (the attention mask [B, T], flattened).
    public func set(mask: UnsafePointer<Float>, rows: Int) {
        if indices == nil || indices!.count < rows { indices = Int32Buffer(count: rows) }
        let list = indices!.pointer
        var n = 0
        for r in 0..<rows where mask[r] != 0 {
            list[n] = Int32(r)
            n += 1
        }
        count = n
        total = rows
    }

    /// No rows selected (total 0): users compute every row.
    public func clear() { count = 0; total = 0 }

    /// Runs `body(x', y', count)` with x' the active rows of x [total, inCols] packed into
    /// [count, inCols], writing y' [count, outCols]; then y [total, outCols] gets y' at the
    /// active rows and 0 in the others. `caller` names the kernel in the shape check.
    func runPacked(_ x: UnsafePointer<Float>, rows: Int, inCols: Int, into y: UnsafeMutablePointer<Float>, outCols: Int,
                   caller: String, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) {
        precondition(total == rows, "\(caller): active rows of \(total) rows, \(rows) given")
        let packedOut = outputScratch(cols: outCols)
        body(gather(x, cols: inCols), packedOut, count)
        scatter(packedOut, into: y, cols: outCols)
    }

    /// Copies the active rows of x [total, cols] into a packed [count, cols] scratch.
    private func gather(_ x: UnsafePointer<Float>, cols: Int) -> UnsafePointer<Float> {
        let packed = Self.grow(&packedInput, count * cols), list = indices!.pointer
        Parallel.forEachChunk(count, minChunk: 64) { range in
            for i in range { (packed + i * cols).update(from: x + Int(list[i]) * cols, count: cols) }
        }
        return UnsafePointer(packed)
    }

    /// Scratch for the packed output [count, cols].
    private func outputScratch(cols: Int) -> UnsafeMutablePointer<Float> { Self.grow(&packedOutput, count * cols) }

    /// y [total, cols] <- the packed rows at their places, 0 in the other rows.
    private func scatter(_ packed: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, cols: Int) {
        let list = indices!.pointer
        y.update(repeating: 0, count: total * cols)
        Parallel.forEachChunk(count, minChunk: 64) { range in
            for i in range { (y + Int(list[i]) * cols).update(from: packed + i * cols, count: cols) }
        }
    }

    private static func grow(_ buffer: inout FloatBuffer?, _ n: Int) -> UnsafeMutablePointer<Float> {
        if buffer == nil || buffer!.count < n { buffer = FloatBuffer(count: n) }
        return buffer!.pointer
    }
}
