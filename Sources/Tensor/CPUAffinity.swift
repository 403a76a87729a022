import CKernels
import Foundation

/// The CPUs this process may run on: its affinity mask (sched_getaffinity), which mpirun's
/// `--bind-to`, a cpuset, Slurm's task binding or `taskset` set. Thread counts start from it,
/// not from the machine's core count.
public enum CPUAffinity {
    /// The CPU numbers, ascending (the machine's CPUs if the mask cannot be read).
    public static func cpus() -> [Int] {
        var buffer = [Int32](repeating: 0, count: 4096)
        let n = Int(q8_affinity_cpus(&buffer, Int32(buffer.count)))
        guard n > 0 else { return Array(0..<max(1, ProcessInfo.processInfo.activeProcessorCount)) }
        return buffer.prefix(min(n, buffer.count)).map(Int.init)
    }

    /// "0-3,8,10-11".
    public static func describe(_ cpus: [Int]) -> String {
        var parts: [String] = [], i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count && cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The mask as 64-bit words (CPU c is bit c % 64 of word c / 64), `words` long.
    public static func bitmask(_ cpus: [Int], words: Int = 16) -> [Int64] {
        var mask = [UInt64](repeating: 0, count: words)
        for c in cpus where c < 64 * words { mask[c / 64] |= 1 << UInt64(c % 64) }
        return mask.map { Int64(bitPattern: $0) }
    }
}
