import CMPI
import Foundation

/// The collective watchdog (PyTorch's process-group timeout, with the culprits named): a
/// thread per rank that ends the job when this rank has waited in one blocking collective
/// longer than `timeout` seconds, because some rank never arrived (stopped, swapping, stuck
/// in a file system, or running other collectives).
///
/// It talks over its own duplicate of MPI_COMM_WORLD (MPI_THREAD_MULTIPLE), never touching
/// the trainer's messages. When it fires it asks every other rank's watchdog what its rank
/// is doing, waits `grace` seconds for the answers, writes one report to stderr naming the
/// stuck collective and the ranks that never arrived (no answer: stopped or hung; or busy
/// elsewhere, with what they said), and calls MPI_Abort (exit status 124, as timeout(1)).
/// Every watchdog answers such questions whenever it wakes (every 0.1 s).
final class CollectiveWatchdog: @unchecked Sendable {
    let timeout: Double
    let grace: Double
    private let world: MPI_Comm
    private var watch: MPI_Comm?
    private let rank: Int, size: Int
    private let hosts: [String]
    private let tracker: CollectiveTracker
    private let lock = NSLock()
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)

    static let questionTag: Int32 = 7301, answerTag: Int32 = 7302
    /// Bytes of one message: "sequence|waiting|description", NUL-padded.
    static let messageBytes = 512

    init(world: MPI_Comm, rank: Int, size: Int, hosts: [String], tracker: CollectiveTracker,
         timeout: Double, grace: Double = 10) throws {
        self.world = world; self.rank = rank; self.size = size; self.hosts = hosts
        self.tracker = tracker; self.timeout = timeout; self.grace = grace
        try check(MPI_Comm_dup(world, &watch), "MPI_Comm_dup (collective watchdog)")
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "q8-collective-watchdog"
        thread.start()
    }

    /// Stops the thread (before MPI_Finalize) and frees its communicator.
    func stop() {
        lock.lock(); stopping = true; lock.unlock()
        stopped.wait()
        MPI_Comm_free(&watch)
    }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// A message to another rank: its buffer lives until the send completes.
    private final class Outgoing {
        var request: MPI_Request? = q8_mpi_request_null()
        let bytes: UnsafeMutablePointer<CChar>
        init(_ text: String) {
            bytes = .allocate(capacity: CollectiveWatchdog.messageBytes)
            bytes.initialize(repeating: 0, count: CollectiveWatchdog.messageBytes)
            let utf8 = Array(text.utf8.prefix(CollectiveWatchdog.messageBytes - 1))
            for (i, b) in utf8.enumerated() { bytes[i] = CChar(bitPattern: b) }
        }
        deinit { bytes.deallocate() }
    }

    /// A posted receive of one message from any rank with `tag`.
    private final class Incoming {
        var request: MPI_Request? = q8_mpi_request_null()
        let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: CollectiveWatchdog.messageBytes)
        deinit { bytes.deallocate() }
    }

    private var outgoing: [Outgoing] = []

    private func send(_ text: String, to peer: Int, tag: Int32) {
        let message = Outgoing(text)
        MPI_Isend(message.bytes, Int32(Self.messageBytes), q8_mpi_char(), Int32(peer), tag, watch, &message.request)
        outgoing.append(message)
    }

    private func post(_ incoming: Incoming, tag: Int32) {
        MPI_Irecv(incoming.bytes, Int32(Self.messageBytes), q8_mpi_char(), q8_mpi_any_source(), tag, watch, &incoming.request)
    }

    /// (source, text) when `incoming` has completed; reposts it.
    private func poll(_ incoming: Incoming, tag: Int32) -> (Int, String)? {
        var flag: Int32 = 0
        var status = MPI_Status()
        MPI_Test(&incoming.request, &flag, &status)
        guard flag != 0 else { return nil }
        let text = String(cString: incoming.bytes)
        let source = Int(status.MPI_SOURCE)
        post(incoming, tag: tag)
        return (source, text)
    }

    private func state() -> String {
        let s = tracker.snapshot
        return "\(s.sequence)|\(s.waiting ? 1 : 0)|\(CollectiveTracker.describe(s))"
    }

    private func loop() {
        let questions = Incoming()
        post(questions, tag: Self.questionTag)
        while !isStopping {
            usleep(100_000)
            while let (source, _) = poll(questions, tag: Self.questionTag) {
                send(state(), to: source, tag: Self.answerTag)
            }
            outgoing.removeAll { message in
                var flag: Int32 = 0
                MPI_Test(&message.request, &flag, q8_mpi_status_ignore())
                return flag != 0
            }
            let s = tracker.snapshot
            if s.waiting && CollectiveTracker.waited(s) > timeout { fire(s, questions: questions) }
        }
        MPI_Cancel(&questions.request)
        MPI_Wait(&questions.request, q8_mpi_status_ignore())
        for message in outgoing { MPI_Request_free(&message.request) }
        outgoing = []
        stopped.signal()
    }

    private func name(_ r: Int) -> String { "rank \(r) (host \(r < hosts.count ? hosts[r] : "?"))" }

    /// Asks every other rank, reports, aborts.
    private func fire(_ s: CollectiveTracker.State, questions: Incoming) -> Never {
        let waited = Int(CollectiveTracker.waited(s))
        for r in 0..<size where r != rank { send(state(), to: r, tag: Self.questionTag) }
        let answers = Incoming()
        post(answers, tag: Self.answerTag)
        var said: [Int: (sequence: Int, waiting: Bool, text: String)] = [:]
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(grace * 1e9)
        while said.count < size - 1 && DispatchTime.now().uptimeNanoseconds < deadline {
            while let (source, text) = poll(answers, tag: Self.answerTag) {
                let parts = text.split(separator: "|", maxSplits: 2).map(String.init)
                if parts.count == 3 { said[source] = (Int(parts[0]) ?? -1, parts[1] == "1", parts[2]) }
            }
            // Another rank's watchdog may be asking too: answer it, or it waits for us.
            while let (source, _) = poll(questions, tag: Self.questionTag) {
                send(state(), to: source, tag: Self.answerTag)
            }
            usleep(10_000)
        }
        var lines = ["q8train: collective timeout (--collective-timeout \(Int(timeout)) s): \(name(rank)) waited "
                     + "\(waited) s in collective #\(s.sequence) (\(s.operation.description), during \(s.phase))"]
        var missing: [Int] = []
        for r in 0..<size where r != rank {
            if let a = said[r], a.waiting && a.sequence == s.sequence {
                lines.append("  arrived: \(name(r)), \(a.text)")
            } else {
                missing.append(r)
                let what = said[r].map { "it is \($0.text)" }
                    ?? "no answer within \(Int(grace)) s (stopped, swapping, stuck in a system call, or dead)"
                lines.append("  never arrived: \(name(r)): \(what)")
            }
        }
        lines.append("  ranks that never arrived: \(missing.map(String.init).joined(separator: ", ")); aborting the job (MPI_Abort)")
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        MPI_Abort(world, 124)
        exit(124)
    }
}
