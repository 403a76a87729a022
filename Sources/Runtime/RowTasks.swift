import Foundation
import Tensor

/// Rows per task of the row-block schedule for a loop over `rows` rows: 64 (2 tasks for a
/// 1 x 128 batch on 2 threads, 64 for 32 x 128), or fewer, in multiples of 16, when 64-row tasks
/// would leave a thread without work (1 x 64 on 2 threads: 2 tasks of 32, not 1 of 64).
/// (32-row tasks at 1 x 128, as fast in the GEMM alone, measured 4% slower end to end.)
func rowTaskRows(_ rows: Int) -> Int {
    let perThread = (rows + Parallel.threads - 1) / Parallel.threads
    return max(16, min(linearBlockRows, (perThread + 15) / 16 * 16))
}

/// Runs body on the row ranges [R i, R (i + 1)) of 0..<rows in parallel (R = rowTaskRows(rows)),
/// each a task taken by whichever of `Parallel.threads` workers is free.
@inline(__always)
func forEachRowTask(_ rows: Int, _ body: (Range<Int>) -> Void) {
    let size = rowTaskRows(rows)
    let tasks = (rows + size - 1) / size
    Parallel.forEachTask(tasks) { i in body((i * size)..<min(rows, (i + 1) * size)) }
}
