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

    /// Compares every rank's view of `files` (missing, or size and digest) with rank 0's and
    /// throws `DistError.fileMismatch` naming the first rank and file that differ. `digest`
    /// reads a file (size in bytes and a hexadecimal digest, e.g. SHA-256), nil when missing.
    public func verifySameFiles(_ files: [URL], digest: (URL) -> (bytes: Int, hex: String)?) throws {
        guard size > 1 else { return }
        // Per file one line: "BYTES DIGEST", or "missing".
        let mine = files.map { url in digest(url).map { "\($0.bytes) \($0.hex)" } ?? "missing" }
        let all = try allgather(text: mine.joined(separator: "\n"), bytes: files.count * 96 + 1)
            .map { $0.components(separatedBy: "\n") }
        func bytes(_ line: String) -> String { String(line.prefix { $0 != " " }) }
        for r in 1..<size {
            for (f, url) in files.enumerated() where all[r][f] != all[0][f] {
                let theirs = all[r][f], root = all[0][f]
                let what = theirs == "missing" ? "missing there (rank 0 has \(bytes(root)) bytes)"
                    : root == "missing" ? "present there (\(bytes(theirs)) bytes) but missing on rank 0"
                    : "different there (\(bytes(theirs)) bytes; rank 0: \(bytes(root)) bytes, other content)"
                throw DistError.fileMismatch(path: url.path, rank: r, host: r < hosts.count ? hosts[r] : "?", detail: what)
            }
        }
    }
}
