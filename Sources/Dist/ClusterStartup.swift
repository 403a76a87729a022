import Foundation
import Tensor

/// Start-up agreements that a job spanning machines needs: threads from each rank's CPU
/// affinity, one instruction-set level for every rank, the same OpenBLAS kernels where the
/// GEMMs feed the sums, and the same data files everywhere. Each is a collective: every
/// rank calls it, in the same order.
extension Communicator {
    /// Worker threads for this rank: its affinity CPUs divided by the ranks on this host
    /// whose affinity overlaps it (ranks bound to their own cores get all of theirs; unbound
    /// ranks share the machine). At least 1.
    public func threadsFromAffinity(_ cpus: [Int]) throws -> (threads: Int, sharers: Int) {
        let mine = CPUAffinity.bitmask(cpus)
        let all = try localAllgather(mine)
        var sharers = 0
        for r in 0..<localSize {
            let theirs = all[r * mine.count ..< (r + 1) * mine.count]
            if zip(theirs, mine).contains(where: { $0 & $1 != 0 }) { sharers += 1 }
        }
        sharers = max(sharers, 1)
        return (max(1, cpus.count / sharers), sharers)
    }

    /// The lowest instruction-set level every rank runs (each rank's detected level, capped by
    /// its own `cap`): one allreduce MIN. Caps this process's kernels to it and returns it.
    @discardableResult
    public func agreeOnInstructionSet(cap: InstructionSet?) throws -> InstructionSet {
        let local = min(InstructionSet.detected, cap ?? .avx512)
        let common = InstructionSet(rawValue: Int(try allreduceMin(Int64(local.rawValue)))) ?? .baseline
        return InstructionSet.cap(common)
    }

    /// Every rank's OpenBLAS kernel family (core name), indexed by rank.
    public func openBLASCores() throws -> [String] {
        try allgather(text: InstructionSet.openBLASCore, bytes: 64)
    }

    /// Compares every rank's view of `files` (missing, or size and content hash) with rank 0's
    /// and throws `DistError.fileMismatch` naming the first rank and file that differ.
    public func verifySameFiles(_ files: [URL]) throws {
        guard size > 1 else { return }
        var mine: [Int64] = []
        for url in files {
            if let data = try? Data(contentsOf: url, options: .alwaysMapped) {
                let hash = data.withUnsafeBytes { raw -> UInt64 in
                    var h = mix64(UInt64(raw.count))
                    var i = 0
                    let words = raw.count / 8
                    while i < words { h = mix64(h ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)); i += 1 }
                    for b in raw[(words * 8)...] { h = mix64(h ^ UInt64(b)) }
                    return h
                }
                mine += [Int64(data.count), Int64(bitPattern: hash)]
            } else {
                mine += [-1, 0]
            }
        }
        let all = try allgather(mine)
        let n = mine.count
        for r in 1..<size {
            for (f, url) in files.enumerated() where all[r * n + 2 * f] != all[2 * f] || all[r * n + 2 * f + 1] != all[2 * f + 1] {
                let theirs = all[r * n + 2 * f], root = all[2 * f]
                let what = theirs < 0 ? "missing there (rank 0 has \(root) bytes)"
                    : root < 0 ? "present there (\(theirs) bytes) but missing on rank 0"
                    : "different there (\(theirs) bytes; rank 0: \(root) bytes, other content)"
                throw DistError.fileMismatch(path: url.path, rank: r, host: r < hosts.count ? hosts[r] : "?", detail: what)
            }
        }
    }
}
