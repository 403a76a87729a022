import Foundation
import Tensor
import XCTest

/// `Parallel.forEachTask`: every task runs exactly once, and never on more than
/// `Parallel.threads` workers at a time (GCD's own width is every core of the machine, which
/// is how the runtime's row tasks used to ignore --threads).
final class ParallelTests: XCTestCase {
    override func tearDown() { Parallel.configure(threads: 2) }

    func testEveryTaskRunsOnce() {
        for threads in [1, 2, 3] {
            Parallel.configure(threads: threads)
            for tasks in [0, 1, 2, 7, 100] {
                var counts = [Int](repeating: 0, count: tasks)
                let lock = NSLock()
                Parallel.forEachTask(tasks) { i in
                    lock.lock()
                    counts[i] += 1
                    lock.unlock()
                }
                XCTAssertEqual(counts, [Int](repeating: 1, count: tasks), "threads \(threads), tasks \(tasks)")
            }
        }
    }

    /// Tasks that sleep overlap as much as the workers allow: the most running at once equals
    /// `threads` (bounded by the task count), never more. One thread runs them in order on the
    /// caller's thread.
    func testConcurrencyIsCappedByThreads() {
        for threads in [1, 2, 3] {
            Parallel.configure(threads: threads)
            let lock = NSLock()
            var running = 0, most = 0, order = [Int]()
            let caller = Thread.current
            var offCaller = false
            Parallel.forEachTask(12) { i in
                lock.lock()
                running += 1
                most = max(most, running)
                order.append(i)
                if Thread.current != caller { offCaller = true }
                lock.unlock()
                usleep(3000)
                lock.lock()
                running -= 1
                lock.unlock()
            }
            XCTAssertLessThanOrEqual(most, threads, "threads \(threads): \(most) tasks ran at once")
            if threads == 1 {
                XCTAssertEqual(order, Array(0..<12), "one thread runs the tasks in order")
                XCTAssertFalse(offCaller, "one thread runs them on the caller's thread")
            } else {
                XCTAssertGreaterThan(most, 1, "threads \(threads): the tasks never overlapped")
            }
        }
    }
}
