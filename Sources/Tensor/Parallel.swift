import Dispatch

/// The process's CPU parallelism for our own kernels (OpenBLAS has its own, set by `BLAS`).
public enum Parallel {
    /// Worker count for `forEachChunk`. Set once at start-up (`--threads`).
    nonisolated(unsafe) public static var threads: Int = 1

    /// Splits 0..<count into at most `threads` contiguous chunks of at least `minChunk`
    /// items and runs `body` on each, in parallel; returns when all are done.
    @inline(__always)
    public static func forEachChunk(_ count: Int, minChunk: Int = 1,
                                    _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = max(1, min(threads, count / max(minChunk, 1)))
        if chunks == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
