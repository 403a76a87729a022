import Foundation

/// What this rank is doing in MPI right now, for the collective watchdog: the blocking
/// collective it waits in (its sequence number, what it is, since when), or the last one it
/// finished. Written by the thread that calls MPI (two lock-protected stores per
/// collective, nothing allocated: the operation is formatted only when reported), read by
/// the watchdog thread.
final class CollectiveTracker: @unchecked Sendable {
    struct State: Sendable {
        /// Collectives entered so far; the current one's number while `waiting`.
        var sequence = 0
        /// E.g. "MPI_Allreduce MAX" of 1 float.
        var operation = CollectiveOperation("none")
        /// What the program was doing (Communicator.phase), e.g. "step 41".
        var phase = "start-up"
        var waiting = false
        /// Monotonic nanoseconds when the current collective was entered.
        var since: UInt64 = 0
    }

    private let lock = NSLock()
    private var state = State()

    func enter(_ operation: CollectiveOperation, phase: String) {
        lock.lock(); defer { lock.unlock() }
        state.sequence += 1
        state.operation = operation
        state.phase = phase
        state.waiting = true
        state.since = DispatchTime.now().uptimeNanoseconds
    }

    func leave() {
        lock.lock(); defer { lock.unlock() }
        state.waiting = false
    }

    var snapshot: State {
        lock.lock(); defer { lock.unlock() }
        return state
    }

    /// Seconds the current collective has waited (0 when not waiting).
    static func waited(_ s: State, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Double {
        s.waiting ? Double(now &- s.since) * 1e-9 : 0
    }

    /// One line: "waiting 612 s in collective #812 (MPI_Allreduce ..., during step 41)" or
    /// "not in a collective (last: #811 MPI_Barrier, during step 41)".
    static func describe(_ s: State) -> String {
        if s.waiting {
            return "waiting \(Int(waited(s))) s in collective #\(s.sequence) (\(s.operation.description), during \(s.phase))"
        }
        return "not in a collective (the last one entered: #\(s.sequence) \(s.operation.description), during \(s.phase))"
    }
}

/// A collective as the watchdog reports it: static names and numbers, formatted only when
/// described, so that tracking one (the Q8BERT range allreduce runs dozens of times per
/// step) allocates nothing. "MPI_Bcast of 4096 bytes from rank 0".
struct CollectiveOperation: Sendable {
    var prefix: StaticString = ""
    var name: StaticString
    var count = -1
    var unit: StaticString = ""
    var peerRole: StaticString = ""
    var peer = -1

    init(_ name: StaticString, count: Int = -1, _ unit: StaticString = "", peerRole: StaticString = "", peer: Int = -1) {
        self.name = name; self.count = count; self.unit = unit; self.peerRole = peerRole; self.peer = peer
    }

    /// The same operation, completed by a wait: "MPI_Waitall on MPI_Iallreduce of ...".
    func waited(on wait: StaticString) -> CollectiveOperation {
        var o = self
        o.prefix = wait
        return o
    }

    var description: String {
        var text = "\(prefix)\(name)"
        if count >= 0 { text += " of \(count) \(unit)" }
        if peer >= 0 { text += " \(peerRole) \(peer)" }
        return text
    }
}
