import ArgumentParser
import CommandOptions
import Dist
import Foundation
import Tensor

/// Options of commands that run under mpirun (`train`, `env`): the collective watchdog and
/// the instruction-set cap; and the start-up that places a rank: MPI, threads from its CPU
/// affinity, one instruction-set level for the whole job.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("max-isa"),
            help: ArgumentHelp("Highest instruction set of the FP32 kernels: baseline, avx2 or avx512 (also Q8_MAX_ISA).",
                               discussion: "Every rank runs the lowest level all ranks have anyway, so replicas on mixed CPUs compute the same bits."))
    var maxISA: InstructionSet?

    @Option(help: ArgumentHelp("Abort the job when a collective waits longer than this many seconds; 0: never.",
                               discussion: "The message names the stuck collective and the ranks that never arrived."))
    var collectiveTimeout: Double = 600

    func validate() throws {
        if collectiveTimeout < 0 { throw ValidationError("--collective-timeout must be at least 0, found \(collectiveTimeout)") }
    }

    /// The cap from --max-isa, else Q8_MAX_ISA (an unknown value there is an error).
    func cap() throws -> InstructionSet? {
        if let maxISA { return maxISA }
        return try InstructionSet.environmentCap(ProcessInfo.processInfo.environment)
    }

    /// MPI_COMM_WORLD under a launcher (failures abort the job; the watchdog runs), else a
    /// one-process communicator that never touches MPI.
    func communicator() throws -> Communicator {
        guard Communicator.launchedByMPI else { return .single() }
        Communicator.abortsOnError = true
        let world = try Communicator.world(threadLevel: collectiveTimeout > 0 ? .multiple : .serialized)
        try world.startWatchdog(timeout: collectiveTimeout)
        return world
    }

    /// Where a rank runs and with what: affinity CPUs, threads, the common instruction set.
    struct Placement {
        var rank: Int, size: Int, localRank: Int, host: String
        var cpus: [Int], sharers: Int, threads: Int, threadsGiven: Bool
        var detected: InstructionSet, isa: InstructionSet, cap: InstructionSet?

        var description: String {
            "rank \(rank)/\(size) on \(host) (local rank \(localRank)): CPUs \(CPUAffinity.describe(cpus)) "
                + "(\(cpus.count), shared by \(sharers) rank\(sharers == 1 ? "" : "s")), "
                + "\(threads) thread\(threads == 1 ? "" : "s")\(threadsGiven ? " (--threads)" : " (from the affinity)"), "
                + "kernels \(isa) (CPU \(detected)\(cap.map { ", capped at \($0)" } ?? "")), int8 GEMM \(InstructionSet.int8Path), "
                + "OpenBLAS \(InstructionSet.openBLASCore)"
        }

        var agreement: String {
            "instruction set common to all \(size) ranks: \(isa) (the FP32 kernels of every rank run it)"
        }
    }

    /// Configures this rank: threads (given, or from its affinity and the ranks sharing it),
    /// the instruction-set level all ranks agree on, and with deterministic GEMMs the check
    /// that every rank runs the same OpenBLAS kernels. A collective.
    func place(_ communicator: Communicator, threads given: Int?, deterministicGEMMs: Bool) throws -> Placement {
        let cpus = CPUAffinity.cpus()
        let (fromAffinity, sharers) = try communicator.threadsFromAffinity(cpus)
        Parallel.configure(threads: given ?? fromAffinity)
        let cap = try cap()
        let isa = try communicator.agreeOnInstructionSet(cap: cap)
        if deterministicGEMMs && communicator.size > 1 {
            let cores = try communicator.openBLASCores()
            if Set(cores).count > 1 { throw DistError.openBLASMismatch(cores: cores) }
        }
        return Placement(rank: communicator.rank, size: communicator.size, localRank: communicator.localRank,
                         host: communicator.host, cpus: cpus, sharers: sharers, threads: Parallel.threads,
                         threadsGiven: given != nil, detected: InstructionSet.detected, isa: isa, cap: cap)
    }
}
