import CKernels

/// Elementwise and reduction helpers, parallel over chunks of rows or elements.

/// out[c] += sum_r in[r, c], in [rows, cols] with row stride `ld` (serial; callers split columns).
@inline(__always)
func q8AddColumnSums(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
                     rows: Int, cols: Int, ld: Int) {
    q8_add_column_sums(out, input, rows, cols, ld)
}

/// out[r, c] += bias[c] (serial; callers split rows).
@inline(__always)
func q8AddRowBias(_ out: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, cols: Int) {
    q8_add_row_bias(out, bias, rows, cols)
}

/// out = a + b (n elements); out may alias a or b.
public func add(out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                _ b: UnsafePointer<Float>, count n: Int) {
    Parallel.forEachChunk(n, minChunk: 16384) { r in
        q8_add(out + r.lowerBound, a + r.lowerBound, b + r.lowerBound, r.count)
    }
}

/// Sum of squares in double precision.
public func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Double {
    q8_sum_squares(x, n)
}

/// max |x[i]| (0 for n == 0; NaN if x holds a NaN), parallel over chunks.
public func maxAbs(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    let chunks = max(1, min(Parallel.threads, n / 65536))
    if chunks == 1 { return q8_max_abs(x, n) }
    return withUnsafeTemporaryAllocation(of: Float.self, capacity: chunks) { partial in
        DispatchChunks.run(n, chunks: chunks) { c, r in partial[c] = q8_max_abs(x + r.lowerBound, r.count) }
        var m: Float = 0
        for v in partial { m = v.isNaN || m.isNaN ? .nan : Swift.max(m, v) }
        return m
    }
}

/// x *= s.
public func scale(_ x: UnsafeMutablePointer<Float>, by s: Float, count n: Int) {
    Parallel.forEachChunk(n, minChunk: 65536) { r in q8_scale(x + r.lowerBound, s, r.count) }
}
