import BERT
import Dist
import Foundation

/// The data-parallel `RangeReducer`: a layer's batch max|x| becomes the max over all ranks
/// (one MPI_Allreduce MAX of one float), so every rank's Q8BERT EMA thresholds equal a
/// single process's over the global batch.
///
/// The protocol cannot throw, and a rank that skipped later collectives after a failure
/// would leave the others waiting in them: a failed MPI call ends the whole job at once
/// (`Communicator.abortJob`, naming the rank, its host and the call).
public final class MPIRangeReducer: RangeReducer {
    public let communicator: Communicator
    /// Allreduces performed (one per quantized activation per forward, on every rank).
    public private(set) var calls = 0
    /// Seconds spent in them (latency-bound: one float each), cumulative.
    public private(set) var seconds = 0.0

    public init(communicator: Communicator) { self.communicator = communicator }

    public func globalMax(_ local: Float) -> Float {
        guard communicator.size > 1 else { return local }
        calls += 1
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
        do { return try communicator.allreduceMax(local) } catch {
            communicator.abortJob("Q8BERT activation range (MPI_Allreduce MAX) failed: \(error)")
        }
    }
}
