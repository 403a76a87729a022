import Dispatch
import Foundation

/// A request to end training early, from a signal: SIGTERM or SIGINT sent to the process (a
/// scheduler's time limit, `kill`, Ctrl-C), or SIGUSR1, which Open MPI's mpirun forwards to
/// every rank (mpirun answers SIGTERM and SIGINT by killing the job instead; with Slurm,
/// `--signal=USR1@120` asks for it before the time limit).
///
/// The handler only records the first signal; the trainer looks at the end of each step, all
/// ranks agree (a max over ranks), rank 0 writes a training-state checkpoint and the run ends
/// with `StoppedBySignal` (exit status 128 + the signal). A second signal while the first is
/// being honoured takes its default action (a second Ctrl-C kills at once).
public final class StopRequest: @unchecked Sendable {
    /// The signals it catches.
    public static let signals: [Int32] = [SIGTERM, SIGINT, SIGUSR1]

    private let lock = NSLock()
    private var first: Int32 = 0
    private var sources: [DispatchSourceSignal] = []
    private let notice: (@Sendable (Int32) -> Void)?

    /// Installs the handlers (for the life of this object); `notice` is told of the first
    /// signal when it arrives (on a dispatch queue, not in a signal handler).
    public init(signals: [Int32] = StopRequest.signals, notice: (@Sendable (Int32) -> Void)? = nil) {
        self.notice = notice
        for s in signals {
            signal(s, SIG_IGN)  // the dispatch source receives it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [weak self] in self?.record(s) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources {
            source.cancel()
            signal(Int32(source.handle), SIG_DFL)
        }
    }

    /// The first signal received, if any.
    public var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return first == 0 ? nil : first
    }

    /// Records `s` (as the handler does); a second signal takes its default action.
    func record(_ s: Int32) {
        lock.lock()
        let again = first != 0
        if !again { first = s }
        lock.unlock()
        if again {
            signal(s, SIG_DFL)
            raise(s)
        } else {
            notice?(s)
        }
    }

    /// SIGTERM, SIGINT, SIGUSR1, or "signal N".
    public static func name(_ s: Int32) -> String {
        switch s {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGUSR1: return "SIGUSR1"
        default: return "signal \(s)"
        }
    }
}

/// Training ended early on a signal after `step` steps, with a training-state checkpoint in
/// `checkpoint` (written by rank 0) to continue from.
public struct StoppedBySignal: Error, CustomStringConvertible {
    public let signal: Int32
    public let step: Int, totalSteps: Int
    public let checkpoint: String

    /// The conventional status of a process ended by a signal.
    public var exitStatus: Int32 { 128 + signal }

    public var description: String {
        "stopped by \(StopRequest.name(signal)) after step \(step) of \(totalSteps); training state saved in "
            + "\(checkpoint): continue with --resume auto (or --resume \(checkpoint))"
    }
}
