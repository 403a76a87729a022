import CKernels
import Dispatch

/// The process's CPU parallelism: one pool of workers for all kernels.
public enum Parallel {
    /// Worker count for `forEachChunk`. Set once at start-up with `configure`.
    nonisolated(unsafe) public private(set) static var threads: Int = 1

    /// Uses `n` workers for every kernel, GEMMs included (OpenBLAS itself then runs one
    /// thread per call, on our workers).
    public static func configure(threads n: Int) {
        threads = max(1, n)
        BLAS.setThreads(1)
    }

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

    /// Runs `body(i)` for every task i in 0..<tasks on at most `threads` workers, each taking
    /// the next task when it finishes one: a worker that starts late (or is preempted) costs only
    /// the task it holds, and no more than `threads` cores ever run (GCD's own width is every
    /// core of the machine). Returns when all tasks are done.
    public static func forEachTask(_ tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        let workers = min(threads, tasks)
        if workers == 1 {
            for i in 0..<tasks { body(i) }
            return
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 1) { next in
            next[0] = 0
            let counter = next.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let i = q8_atomic_next(counter)
                    if i >= tasks { break }
                    body(i)
                }
            }
        }
    }

    /// Runs `body(chunk, range)` over exactly `chunks` contiguous pieces of 0..<count in
    /// parallel, for loops whose workers need a private scratch slice by chunk index.
    public static func forEachChunk(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        DispatchChunks.run(count, chunks: chunks, body)
    }
}
