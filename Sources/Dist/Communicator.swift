import CMPI
import Foundation

/// The ranks of one data-parallel job and the collectives between them: with
/// CollectiveWatchdog, the only code that calls MPI.
///
/// Get it once with `world()`; it initializes MPI (also without `mpirun`, as a one-rank
/// "singleton" job) and must be finalized with `finalize()` before the process exits.
/// `single()` is a one-rank communicator that never touches MPI.
///
/// Every call takes counts in elements (Float, Double, Int64) or bytes (raw buffers). MPI
/// counts are Int32: longer buffers are sent as consecutive calls of at most
/// `maxCountPerCall` elements, so any `Int` count works.
///
/// Threads: MPI runs at `threadLevel` (`.serialized` by default): any thread may call, but
/// never two at once. The trainer calls from the thread that runs backward, between kernels.
/// Collectives must be called in the same order on every rank (MPI's rule).
///
/// Failures: with `abortsOnError` (q8train sets it) any failed MPI call ends the whole job
/// at once (MPI_Abort) with a message naming the rank, its host and the call; otherwise it
/// throws `DistError.mpi`. `startWatchdog(timeout:)` ends the job when a blocking collective
/// waits too long, naming the ranks that never arrived.
public final class Communicator: @unchecked Sendable {
    /// MPI's thread support levels, weakest first.
    public enum ThreadLevel: Int, Sendable, Comparable, CustomStringConvertible {
        case single, funneled, serialized, multiple

        var mpiValue: Int32 {
            switch self {
            case .single: return q8_mpi_thread_single()
            case .funneled: return q8_mpi_thread_funneled()
            case .serialized: return q8_mpi_thread_serialized()
            case .multiple: return q8_mpi_thread_multiple()
            }
        }

        init(mpiValue v: Int32) {
            switch v {
            case q8_mpi_thread_multiple(): self = .multiple
            case q8_mpi_thread_serialized(): self = .serialized
            case q8_mpi_thread_funneled(): self = .funneled
            default: self = .single
            }
        }

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .single: return "MPI_THREAD_SINGLE"
            case .funneled: return "MPI_THREAD_FUNNELED"
            case .serialized: return "MPI_THREAD_SERIALIZED"
            case .multiple: return "MPI_THREAD_MULTIPLE"
            }
        }
    }

    /// This process's index in the job, 0..<size.
    public let rank: Int
    /// The number of processes in the job (the world size W).
    public let size: Int
    /// Index among the ranks on this machine (MPI_COMM_TYPE_SHARED), 0..<localSize.
    public let localRank: Int
    /// The number of ranks on this machine.
    public let localSize: Int
    /// The thread level MPI provides (`.multiple` for `single()`, which has no MPI).
    public let threadLevel: ThreadLevel
    /// Whether collectives go through MPI (false only for `single()`).
    public let usesMPI: Bool
    /// Rank 0: the one that logs and writes files.
    public var isRoot: Bool { rank == 0 }
    /// This process's host name (MPI_Get_processor_name; the local host name without MPI).
    public let host: String
    /// Every rank's host name, indexed by rank.
    public private(set) var hosts: [String]
    /// "rank 3 (host node2)": how messages name a rank.
    public func describeRank(_ r: Int) -> String { "rank \(r) (host \(r < hosts.count ? hosts[r] : "?"))" }
    /// What the program is doing, for the watchdog's report (e.g. "step 41", "evaluation").
    public var phase = "start-up"
    /// Whether a failed MPI call aborts the whole job (MPI_Abort, after a message naming the
    /// rank, host and call) instead of throwing. Set once at start-up.
    nonisolated(unsafe) public static var abortsOnError = false
    let tracker = CollectiveTracker()
    private var watchdog: CollectiveWatchdog?

    /// The most elements (or bytes, for raw buffers) one MPI call carries; longer buffers are
    /// split. MPI counts are Int32, so this is at most Int32.max; lower it only in tests.
    public var maxCountPerCall = Int(Int32.max) {
        didSet { precondition(maxCountPerCall > 0 && maxCountPerCall <= Int(Int32.max)) }
    }

    private let comm: MPI_Comm?
    private var localComm: MPI_Comm?
    private var isFinalized = false

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: Communicator?
    nonisolated(unsafe) private static var worldFinalized = false
    nonisolated(unsafe) private static var launchedBeforeInit: Bool?

    private init(comm: MPI_Comm?, localComm: MPI_Comm?, rank: Int, size: Int, localRank: Int,
                 localSize: Int, threadLevel: ThreadLevel, host: String) {
        self.host = host; hosts = [host]
        self.comm = comm; self.localComm = localComm
        self.rank = rank; self.size = size; self.localRank = localRank; self.localSize = localSize
        self.threadLevel = threadLevel
        usesMPI = comm != nil
    }

    /// The MPI library's version string (MPI_Get_library_version), e.g. "Open MPI v4.1.4, ...".
    public static var libraryVersion: String {
        var text = [CChar](repeating: 0, count: Int(q8_mpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        guard MPI_Get_library_version(&text, &length) == q8_mpi_success() else { return "unknown" }
        return String(cString: text)
    }

    /// The world communicator of this process, once `world()` made it.
    static var current: Communicator? {
        lock.lock(); defer { lock.unlock() }
        return shared
    }

    /// Whether this process was started by an MPI launcher (`mpirun`, `srun`): one of
    /// OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE was set before MPI initialized (a
    /// singleton MPI_Init sets them itself). Without a launcher `world()` still works (one
    /// rank), but `single()` avoids initializing MPI at all.
    public static var launchedByMPI: Bool {
        lock.lock(); defer { lock.unlock() }
        return launchedBeforeInit ?? launcherEnvironmentPresent()
    }

    private static func launcherEnvironmentPresent() -> Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"].contains { env[$0] != nil }
    }

    /// A one-rank communicator that never calls MPI: every collective is the identity.
    /// For tests and runs that should not initialize MPI at all.
    public static func single() -> Communicator {
        Communicator(comm: nil, localComm: nil, rank: 0, size: 1, localRank: 0, localSize: 1,
                     threadLevel: .multiple, host: ProcessInfo.processInfo.hostName)
    }

    /// MPI_COMM_WORLD, initializing MPI on the first call (MPI_Init_thread at `threadLevel`);
    /// later calls return the same object. Works under `mpirun` and, as one rank, without it.
    /// Sets MPI_ERRORS_RETURN, so failures come back as `DistError.mpi`.
    public static func world(threadLevel requested: ThreadLevel = .serialized) throws -> Communicator {
        lock.lock(); defer { lock.unlock() }
        if let shared { return shared }
        if worldFinalized { throw DistError.finalized }
        var flag: Int32 = 0
        try check(MPI_Finalized(&flag), "MPI_Finalized")
        if flag != 0 { throw DistError.finalized }
        try check(MPI_Initialized(&flag), "MPI_Initialized")
        var provided: Int32 = 0
        if flag == 0 {
            // Open MPI's non-blocking allreduce (libnbc) falls back to a binomial tree
            // (reduce to rank 0, then broadcast: the whole buffer twice through rank 0) for
            // in-place calls; the ring algorithm moves 2 (W-1)/W of it per rank and, measured
            // on 2 ranks, does the work inside the wait instead of the start call. Set before
            // MPI_Init, unless the environment already chose an algorithm.
            setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", 0)
            launchedBeforeInit = launcherEnvironmentPresent()
            // Before MPI_Init succeeds, MPI_ERRORS_ARE_FATAL applies: a failure here aborts.
            try check(MPI_Init_thread(nil, nil, requested.mpiValue, &provided), "MPI_Init_thread")
        } else {
            try check(MPI_Query_thread(&provided), "MPI_Query_thread")
        }
        let world = q8_mpi_comm_world()
        try check(MPI_Comm_set_errhandler(world, q8_mpi_errors_return()), "MPI_Comm_set_errhandler")
        let level = ThreadLevel(mpiValue: provided)
        if level < requested {
            MPI_Finalize()
            worldFinalized = true
            throw DistError.threadLevel(requested: requested, provided: level)
        }
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        var local: MPI_Comm? = nil
        try check(MPI_Comm_split_type(world, q8_mpi_comm_type_shared(), rank, q8_mpi_info_null(), &local),
                  "MPI_Comm_split_type")
        try check(MPI_Comm_set_errhandler(local, q8_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var localRank: Int32 = 0, localSize: Int32 = 0
        try check(MPI_Comm_rank(local, &localRank), "MPI_Comm_rank")
        try check(MPI_Comm_size(local, &localSize), "MPI_Comm_size")
        var name = [CChar](repeating: 0, count: Int(q8_mpi_max_processor_name()) + 1)
        var nameLength: Int32 = 0
        try check(MPI_Get_processor_name(&name, &nameLength), "MPI_Get_processor_name")
        let c = Communicator(comm: world, localComm: local, rank: Int(rank), size: Int(size),
                             localRank: Int(localRank), localSize: Int(localSize), threadLevel: level,
                             host: String(cString: name))
        shared = c
        c.hosts = try c.allgather(text: c.host, bytes: 128)
        return c
    }

    /// Ends MPI (MPI_Finalize): call once, at the end of the process, on every rank, after
    /// the last collective. Further calls do nothing; no collective may follow.
    public func finalize() throws {
        guard usesMPI else { return }
        Self.lock.lock(); defer { Self.lock.unlock() }
        guard !isFinalized else { return }
        watchdog?.stop()
        watchdog = nil
        isFinalized = true
        Self.shared = nil
        Self.worldFinalized = true
        if localComm != nil { try check(MPI_Comm_free(&localComm), "MPI_Comm_free") }
        try check(MPI_Finalize(), "MPI_Finalize")
    }

    /// Ends every rank of the job at once (MPI_Abort): for an error on one rank while the
    /// others may be waiting in a collective. Without MPI, exits the process.
    public func abort(errorCode: Int32 = 1) -> Never {
        if usesMPI && !isFinalized { MPI_Abort(comm, errorCode) }
        exit(errorCode)
    }

    /// Writes "q8train: rank R (host H): MESSAGE; aborting the job" to stderr and ends every
    /// rank (MPI_Abort), or just this process without MPI.
    public func abortJob(_ message: String, errorCode: Int32 = 1) -> Never {
        let tail = size > 1 ? "; aborting the job (MPI_Abort)" : ""
        FileHandle.standardError.write(Data("q8train: \(describeRank(rank)): \(message)\(tail)\n".utf8))
        abort(errorCode: errorCode)
    }

    /// Starts the collective watchdog (CollectiveWatchdog): a blocking collective that waits
    /// longer than `timeout` seconds ends the job. Needs `.multiple` thread support; does
    /// nothing on one rank or with timeout <= 0.
    public func startWatchdog(timeout: Double) throws {
        guard let comm, size > 1, timeout > 0, watchdog == nil else { return }
        guard threadLevel >= .multiple else { throw DistError.threadLevel(requested: .multiple, provided: threadLevel) }
        let w = try CollectiveWatchdog(world: comm, rank: rank, size: size, hosts: hosts, tracker: tracker, timeout: timeout)
        w.start()
        watchdog = w
    }

    /// Runs one blocking collective, visible to the watchdog while it waits.
    @inline(__always)
    private func tracked<T>(_ operation: CollectiveOperation, _ body: () throws -> T) rethrows -> T {
        tracker.enter(operation, phase: phase)
        defer { tracker.leave() }
        return try body()
    }

    // MARK: Collectives

    /// Waits until every rank has called it.
    public func barrier() throws {
        guard let comm = live() else { return }
        try tracked(CollectiveOperation("MPI_Barrier")) { try check(MPI_Barrier(comm), "MPI_Barrier") }
    }

    /// Copies `buffer` (bytes) from `root` to every rank.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard let comm = live(), let base = buffer.baseAddress else { return }
        try tracked(CollectiveOperation("MPI_Bcast", count: buffer.count, "bytes", peerRole: "from rank", peer: root)) {
            try chunks(buffer.count) { offset, n in
                try check(MPI_Bcast(base + offset, n, q8_mpi_byte(), Int32(root), comm), "MPI_Bcast")
            }
        }
    }

    /// Copies `count` floats at `floats` from `root` to every rank.
    public func broadcast(floats: UnsafeMutablePointer<Float>, count: Int, root: Int) throws {
        guard let comm = live() else { return }
        try tracked(CollectiveOperation("MPI_Bcast", count: count, "floats", peerRole: "from rank", peer: root)) {
            try chunks(count) { offset, n in
                try check(MPI_Bcast(floats + offset, n, q8_mpi_float(), Int32(root), comm), "MPI_Bcast")
            }
        }
    }

    /// p[i] <- sum over ranks of p[i], for i in 0..<count, in place, on every rank.
    public func allreduceSum(_ p: UnsafeMutablePointer<Float>, count: Int) throws {
        try allreduce(p, count: count, stride: 4, type: q8_mpi_float(), op: q8_mpi_sum())
    }

    /// p[i] <- max over ranks of p[i], in place, on every rank.
    public func allreduceMax(_ p: UnsafeMutablePointer<Float>, count: Int) throws {
        try allreduce(p, count: count, stride: 4, type: q8_mpi_float(), op: q8_mpi_max())
    }

    /// The largest `x` over all ranks.
    public func allreduceMax(_ x: Float) throws -> Float {
        var v = x
        try allreduce(&v, count: 1, stride: 4, type: q8_mpi_float(), op: q8_mpi_max())
        return v
    }

    /// The sum of `x` over all ranks (losses, metric numerators).
    public func allreduceSum(_ x: Double) throws -> Double {
        var v = x
        try allreduce(&v, count: 1, stride: 8, type: q8_mpi_double(), op: q8_mpi_sum())
        return v
    }

    /// The smallest `x` over all ranks.
    public func allreduceMin(_ x: Int64) throws -> Int64 {
        var v = x
        try allreduce(&v, count: 1, stride: 8, type: q8_mpi_int64(), op: q8_mpi_min())
        return v
    }

    /// The sum of `x` over all ranks (counts).
    public func allreduceSum(_ x: Int64) throws -> Int64 {
        var v = x
        try allreduce(&v, count: 1, stride: 8, type: q8_mpi_int64(), op: q8_mpi_sum())
        return v
    }

    /// Every rank's `x`, indexed by rank [size].
    public func allgather(_ x: Int64) throws -> [Int64] {
        try allgather([x])
    }

    /// Every rank's `values`, concatenated in rank order [size * values.count]. Every rank
    /// must pass the same count.
    public func allgather(_ values: [Int64]) throws -> [Int64] {
        try gatherArrays(values, root: nil, type: q8_mpi_int64())!
    }

    /// Every rank's `values`, concatenated in rank order [size * values.count]. Every rank
    /// must pass the same count.
    public func allgather(floats values: [Float]) throws -> [Float] {
        try gatherArrays(values, root: nil, type: q8_mpi_float())!
    }

    /// Every rank's `text`, indexed by rank (UTF-8, cut to `bytes` - 1 bytes).
    public func allgather(text: String, bytes: Int) throws -> [String] {
        var mine = [Int64](repeating: 0, count: (bytes + 7) / 8)
        mine.withUnsafeMutableBytes { raw in
            for (i, b) in text.utf8.prefix(bytes - 1).enumerated() { raw[i] = b }
        }
        let all = try allgather(mine)
        return (0..<size).map { r in
            Array(all[r * mine.count ..< (r + 1) * mine.count]).withUnsafeBytes { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
    }

    /// Every rank's `values`, concatenated in rank order into `out` (resized to the total);
    /// counts may differ between ranks (MPI_Allgather of the counts, then MPI_Allgatherv).
    /// `counts` receives each rank's count [size]. Both arrays keep their capacity across
    /// calls (only the W displacements are allocated per call).
    public func allgatherVariable(_ values: UnsafeBufferPointer<Int32>, into out: inout [Int32],
                                  counts: inout [Int32]) throws {
        guard let comm = live() else {
            out.removeAll(keepingCapacity: true); out.append(contentsOf: values)
            counts.removeAll(keepingCapacity: true); counts.append(Int32(values.count))
            return
        }
        precondition(values.count <= Int(Int32.max), "Communicator.allgatherVariable: \(values.count) values")
        counts.removeAll(keepingCapacity: true)
        counts.append(contentsOf: repeatElement(0, count: size))
        var mine = Int32(values.count)
        try tracked(CollectiveOperation("MPI_Allgather", count: 1, "int32 per rank")) {
            try counts.withUnsafeMutableBufferPointer {
                try check(MPI_Allgather(&mine, 1, q8_mpi_int32(), $0.baseAddress, 1, q8_mpi_int32(), comm), "MPI_Allgather")
            }
        }
        var displacements = [Int32](repeating: 0, count: size)
        var total = 0
        for r in 0..<size {
            displacements[r] = Int32(total)
            total += Int(counts[r])
        }
        precondition(total <= Int(Int32.max), "Communicator.allgatherVariable: \(total) values in all")
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: total))
        try tracked(CollectiveOperation("MPI_Allgatherv", count: values.count, "int32 from this rank")) {
            try out.withUnsafeMutableBufferPointer { dst in
                try counts.withUnsafeBufferPointer { c in
                    try check(MPI_Allgatherv(values.baseAddress, mine, q8_mpi_int32(), dst.baseAddress, c.baseAddress,
                                             displacements, q8_mpi_int32(), comm), "MPI_Allgatherv")
                }
            }
        }
    }

    /// Every rank's `values` among the ranks on this machine, in local-rank order
    /// [localSize * values.count]. Every local rank must pass the same count.
    public func localAllgather(_ values: [Int64]) throws -> [Int64] {
        guard let local = localComm, usesMPI else { return values }
        precondition(!isFinalized, "Communicator: used after finalize()")
        var out = [Int64](repeating: 0, count: values.count * localSize)
        try tracked(CollectiveOperation("MPI_Allgather among the ranks of this host", count: values.count, "int64 per rank")) {
            try values.withUnsafeBufferPointer { src in
                try out.withUnsafeMutableBufferPointer { dst in
                    try check(MPI_Allgather(src.baseAddress, Int32(values.count), q8_mpi_int64(), dst.baseAddress,
                                            Int32(values.count), q8_mpi_int64(), local), "MPI_Allgather")
                }
            }
        }
        return out
    }

    /// On `root`: every rank's `values` concatenated in rank order [size * values.count];
    /// nil on the other ranks. Every rank must pass the same count.
    public func gather(floats values: [Float], root: Int) throws -> [Float]? {
        try gatherArrays(values, root: root, type: q8_mpi_float())
    }

    /// Starts p[i] <- sum over ranks of p[i] (in place, MPI_Iallreduce) and returns at once.
    /// `p` must stay valid and untouched until the request completes (`test()` returned true
    /// or `wait()` returned). Open MPI progresses it only inside MPI calls: call `test()`.
    public func iallreduceSum(_ p: UnsafeMutablePointer<Float>, count: Int) throws -> Request {
        let request = Request(CollectiveOperation("MPI_Iallreduce SUM", count: count, "floats"), tracker: tracker, communicator: self)
        guard let comm = live() else { return request }
        try chunks(count) { offset, n in
            var handle: MPI_Request? = q8_mpi_request_null()
            try check(MPI_Iallreduce(q8_mpi_in_place(), p + offset, n, q8_mpi_float(), q8_mpi_sum(), comm, &handle),
                      "MPI_Iallreduce")
            request.handles.append(handle)
        }
        return request
    }

    /// Starts sending `sendCount` floats from `send` to rank `partner` and receiving
    /// `receiveCount` floats from it into `receive` (MPI_Isend + MPI_Irecv, message `tag`);
    /// both buffers belong to MPI until the request completes.
    public func exchange(send: UnsafePointer<Float>, sendCount: Int, receive: UnsafeMutablePointer<Float>,
                         receiveCount: Int, partner: Int, tag: Int) throws -> Request {
        let request = Request(CollectiveOperation("MPI_Isend/MPI_Irecv", count: sendCount, "floats", peerRole: "with rank", peer: partner),
                              tracker: tracker, communicator: self)
        guard let comm = live() else { return request }
        precondition(sendCount <= maxCountPerCall && receiveCount <= maxCountPerCall,
                     "Communicator.exchange: count over \(maxCountPerCall)")
        var recvHandle: MPI_Request? = q8_mpi_request_null(), sendHandle: MPI_Request? = q8_mpi_request_null()
        try check(MPI_Irecv(receive, Int32(receiveCount), q8_mpi_float(), Int32(partner), Int32(tag), comm, &recvHandle),
                  "MPI_Irecv")
        request.handles.append(recvHandle)
        try check(MPI_Isend(send, Int32(sendCount), q8_mpi_float(), Int32(partner), Int32(tag), comm, &sendHandle),
                  "MPI_Isend")
        request.handles.append(sendHandle)
        return request
    }

    /// One non-blocking collective (possibly several MPI requests, for counts over
    /// `maxCountPerCall`). Complete it with `test()` until true, or `wait()`.
    public final class Request {
        fileprivate var handles: [MPI_Request?] = []
        private let operation: CollectiveOperation
        private let tracker: CollectiveTracker
        private unowned let communicator: Communicator
        /// Whether the operation has finished (its buffer may be read and reused).
        public private(set) var isComplete = false

        fileprivate init(_ operation: CollectiveOperation, tracker: CollectiveTracker, communicator: Communicator) {
            self.operation = operation; self.tracker = tracker; self.communicator = communicator
        }

        /// Progresses MPI and returns whether the operation has finished; never blocks.
        public func test() throws -> Bool {
            if isComplete || handles.isEmpty { isComplete = true; return true }
            var flag: Int32 = 0
            let rc = handles.withUnsafeMutableBufferPointer {
                MPI_Testall(Int32($0.count), $0.baseAddress, &flag, q8_mpi_statuses_ignore())
            }
            try check(rc, "MPI_Testall (\(operation.description))")
            if flag != 0 { isComplete = true }
            return isComplete
        }

        /// Blocks until the operation has finished.
        public func wait() throws {
            if isComplete || handles.isEmpty { isComplete = true; return }
            tracker.enter(operation.waited(on: "MPI_Waitall on "), phase: communicator.phase)
            let rc = handles.withUnsafeMutableBufferPointer {
                MPI_Waitall(Int32($0.count), $0.baseAddress, q8_mpi_statuses_ignore())
            }
            tracker.leave()
            isComplete = true
            try check(rc, "MPI_Waitall (\(operation.description))")
        }

        deinit {
            // A request dropped before completion still owns its buffer: finish it.
            if !isComplete && !handles.isEmpty {
                _ = handles.withUnsafeMutableBufferPointer {
                    MPI_Waitall(Int32($0.count), $0.baseAddress, q8_mpi_statuses_ignore())
                }
            }
        }
    }

    // MARK: Helpers

    /// MPI_COMM_WORLD, or nil without MPI (every collective is then the identity).
    private func live() -> MPI_Comm? {
        guard let comm else { return nil }
        precondition(!isFinalized, "Communicator: used after finalize()")
        return comm
    }

    /// Calls `body(offset, n)` over 0..<count in pieces of at most `maxCountPerCall`.
    private func chunks(_ count: Int, _ body: (Int, Int32) throws -> Void) throws {
        precondition(count >= 0, "Communicator: negative count \(count)")
        var offset = 0
        while offset < count {
            let n = min(maxCountPerCall, count - offset)
            try body(offset, Int32(n))
            offset += n
        }
    }

    private func allreduce(_ p: UnsafeMutableRawPointer, count: Int, stride: Int, type: MPI_Datatype?,
                           op: MPI_Op?) throws {
        guard let comm = live() else { return }
        try tracked(CollectiveOperation(Self.opName(op), count: count, stride == 4 ? "floats" : "int64/doubles")) {
            try chunks(count) { offset, n in
                try check(MPI_Allreduce(q8_mpi_in_place(), p + offset * stride, n, type, op, comm), "MPI_Allreduce")
            }
        }
    }

    private static func opName(_ op: MPI_Op?) -> StaticString {
        op == q8_mpi_sum() ? "MPI_Allreduce SUM" : op == q8_mpi_max() ? "MPI_Allreduce MAX"
            : op == q8_mpi_min() ? "MPI_Allreduce MIN" : "MPI_Allreduce"
    }

    /// (All)gather of equal-length arrays; `root == nil` for allgather.
    private func gatherArrays<T>(_ values: [T], root: Int?, type: MPI_Datatype?) throws -> [T]? {
        guard let comm = live() else { return values }
        return try tracked(CollectiveOperation(root == nil ? "MPI_Allgather" : "MPI_Gather", count: values.count, "values per rank")) {
            try gatherArraysUntracked(values, root: root, type: type, comm: comm)
        }
    }

    private func gatherArraysUntracked<T>(_ values: [T], root: Int?, type: MPI_Datatype?, comm: MPI_Comm) throws -> [T]? {
        if let root, rank != root {
            try values.withUnsafeBufferPointer { src in
                try chunkedGather(src.baseAddress, nil, count: values.count, root: root, type: type, comm: comm)
            }
            return nil
        }
        var out = [T](unsafeUninitializedCapacity: values.count * size) { buf, n in
            n = values.count * size
            if n > 0 { memset(buf.baseAddress!, 0, n * MemoryLayout<T>.stride) }
        }
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try chunkedGather(src.baseAddress, dst.baseAddress, count: values.count, root: root, type: type, comm: comm)
            }
        }
        return out
    }

    /// Gathers `count` elements per rank; pieces of at most `maxCountPerCall` per rank, so
    /// rank-major output is assembled piece by piece.
    private func chunkedGather<T>(_ src: UnsafePointer<T>?, _ dst: UnsafeMutablePointer<T>?, count: Int,
                                  root: Int?, type: MPI_Datatype?, comm: MPI_Comm) throws {
        if count == 0 { return }
        let single = count <= maxCountPerCall
        let scratch: UnsafeMutablePointer<T>? = single || dst == nil
            ? nil : .allocate(capacity: min(maxCountPerCall, count) * size)
        defer { scratch?.deallocate() }
        try chunks(count) { offset, n in
            let recv = single ? dst : scratch
            if let root {
                try check(MPI_Gather(src! + offset, n, type, recv, n, type, Int32(root), comm), "MPI_Gather")
            } else {
                try check(MPI_Allgather(src! + offset, n, type, recv, n, type, comm), "MPI_Allgather")
            }
            if let scratch, let dst {
                for r in 0..<size {
                    (dst + r * count + offset).update(from: scratch + r * Int(n), count: Int(n))
                }
            }
        }
    }
}

/// Turns an MPI return code into `DistError.mpi` (with MPI_Error_string's text).
/// With `Communicator.abortsOnError`, ends the job instead (naming the rank, host and call).
@inline(__always)
func check(_ code: Int32, _ function: @autoclosure () -> String) throws {
    guard code != q8_mpi_success() else { return }
    let error = DistError.mpi(function: function(), code: code, message: mpiErrorString(code))
    if Communicator.abortsOnError, let world = Communicator.current { world.abortJob("\(error)") }
    throw error
}

func mpiErrorString(_ code: Int32) -> String {
    var text = [CChar](repeating: 0, count: Int(q8_mpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &text, &length) == q8_mpi_success() else { return "unknown error" }
    return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
