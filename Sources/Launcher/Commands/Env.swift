import ArgumentParser
import CommandOptions
import Dist
import Foundation
import Tensor

/// `q8train env`: what every rank of a job sees, one row per rank, gathered to rank 0. The
/// first thing to run on a new cluster and to paste into a bug report:
///
///     mpirun -n 4 --hostfile hosts q8train env
///
/// The transports are Open MPI's own report (its btl_base_verbose lines, captured while
/// every pair of ranks exchanges a message): vader is shared memory, tcp the network.
struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every rank's host, CPUs, threads, instruction sets, Open MPI transports and OpenBLAS.")

    @OptionGroup var cluster: ClusterOptions

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        let launched = Communicator.launchedByMPI
        // Open MPI names the transport of each pair at connection time, on stderr.
        let capture = launched ? StderrCapture(environment: ["OMPI_MCA_btl_base_verbose": "30"]) : nil
        let communicator = try cluster.communicator()
        var peers = [Int: String]()
        // Open MPI keeps reporting until MPI_Finalize: the capture lasts until the end.
        defer { _ = capture?.finish() }
        do {
            if communicator.size > 1 { try Self.touchEveryPeer(communicator) }
            if let capture { peers = Self.transports(capture.read(), size: communicator.size) }
            let placement = try cluster.place(communicator, threads: threadOptions.threads, deterministicGEMMs: false)
            let row = Self.row(placement, communicator: communicator, peers: peers, captured: capture != nil)
            let rows = try communicator.allgather(text: row.joined(separator: "\t"), bytes: 1024)
            if communicator.isRoot {
                let table = [Self.header] + rows.map { $0.components(separatedBy: "\t") }
                print(Self.format(table))
                print("kernels: the FP32 kernels' instruction set, common to all ranks (the CPU's own level in brackets); "
                      + "transports: Open MPI's BTL to each peer rank (vader: shared memory, tcp: network, self: itself)")
            }
            try communicator.finalize()
        } catch {
            if communicator.size > 1 { communicator.abortJob("error: \(error)") }
            throw error
        }
    }

    static let header = ["host", "rank", "local", "cpus", "threads", "kernels", "int8 gemm", "open mpi", "transports",
                         "openblas"]

    static func row(_ p: ClusterOptions.Placement, communicator: Communicator, peers: [Int: String], captured: Bool) -> [String] {
        let byTransport = Dictionary(grouping: peers.keys.sorted(), by: { peers[$0]! })
        var transports = byTransport.keys.sorted().map { "\($0)->\(byTransport[$0]!.map(String.init).joined(separator: ","))" }
            .joined(separator: " ")
        if communicator.size == 1 { transports = "(one rank)" }
        else if transports.isEmpty { transports = captured ? "(no btl report: another PML, e.g. UCX)" : "?" }
        return [p.host, "\(p.rank)", "\(p.localRank)", "\(CPUAffinity.describe(p.cpus))",
                "\(p.threads)\(p.threadsGiven ? "" : " (affinity/\(p.sharers))")",
                "\(p.isa) [\(p.detected)]", InstructionSet.int8Path, mpiVersion(),
                transports, "\(InstructionSet.openBLASCore), \(BLAS.threads) thread\(BLAS.threads == 1 ? "" : "s")"]
    }

    /// Sends one message each way between this rank and every other, so Open MPI connects
    /// every pair (and reports the transport it chose).
    static func touchEveryPeer(_ c: Communicator) throws {
        var out: Float = Float(c.rank), into: Float = 0
        for peer in 0..<c.size where peer != c.rank {
            try c.exchange(send: &out, sendCount: 1, receive: &into, receiveCount: 1, partner: peer, tag: 77).wait()
        }
        try c.barrier()
    }

    /// Peer rank -> BTL, from lines like
    /// "[node1:123] mca: bml: Using vader btl for send to [[5,1],1] on node node1".
    static func transports(_ text: String, size: Int) -> [Int: String] {
        var result = [Int: String]()
        for line in text.split(separator: "\n") {
            // After "[[5,1]" (the job id) comes ",1]": the peer's rank.
            guard let using = line.range(of: "Using "), let btl = line[using.upperBound...].split(separator: " ").first,
                  let to = line.range(of: "btl for send to [["), let close = line[to.upperBound...].range(of: "]") else { continue }
            let rest = line[close.upperBound...]
            guard let comma = rest.firstIndex(of: ","), let end = rest.firstIndex(of: "]"), comma < end,
                  let peer = Int(rest[rest.index(after: comma)..<end]), peer < size else { continue }
            result[peer] = String(btl)
        }
        return result
    }

    static func mpiVersion() -> String {
        let full = Communicator.libraryVersion
        // "Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: ..., Unreleased developer copy"
        return full.split(separator: ",").first.map(String.init) ?? full
    }

    /// Columns padded to their widest cell.
    static func format(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

/// Redirects this process's stderr (fd 2) to a temporary file from creation to `finish()`,
/// which restores it and returns what was written; `environment` is set first (unless set).
final class StderrCapture {
    private let saved: Int32
    private let url: URL

    init?(environment: [String: String]) {
        for (k, v) in environment { setenv(k, v, 0) }
        url = FileManager.default.temporaryDirectory.appendingPathComponent("q8-env-\(getpid()).err")
        let fd = open(url.path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else { return nil }
        fflush(stderr)
        saved = dup(2)
        dup2(fd, 2)
        close(fd)
    }

    /// What was captured so far.
    func read() -> String {
        fflush(stderr)
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    /// Restores stderr and passes on every captured line that is not Open MPI's verbose
    /// component report ("[host:pid] mca: ..." or "[host:pid] select: ...").
    func finish() -> String {
        let text = read()
        dup2(saved, 2)
        close(saved)
        try? FileManager.default.removeItem(at: url)
        let other = text.split(separator: "\n").filter { line in
            !(line.hasPrefix("[") && ["] mca: ", "] select: ", "] btl"].contains { line.contains($0) })
        }
        if !other.isEmpty { FileHandle.standardError.write(Data((other.joined(separator: "\n") + "\n").utf8)) }
        return text
    }
}
