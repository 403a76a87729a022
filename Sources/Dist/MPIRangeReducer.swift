import BERT

/// The data-parallel `RangeReducer`: a layer's batch max|x| becomes the max over all ranks
/// (one MPI_Allreduce MAX of one float), so every rank's Q8BERT EMA thresholds equal a
/// single process's over the global batch.
///
/// The protocol cannot throw: an MPI failure is kept in `failure`, the local value is
/// returned, and `throwIfFailed()` (call it once per step) reports it. After a failed
/// collective the job cannot continue anyway; the trainer should stop or `abort`.
public final class MPIRangeReducer: RangeReducer {
    public let communicator: Communicator
    /// The first MPI error, if any.
    public private(set) var failure: Error?
    /// Allreduces performed (one per quantized activation per forward, on every rank).
    public private(set) var calls = 0

    public init(communicator: Communicator) { self.communicator = communicator }

    public func globalMax(_ local: Float) -> Float {
        guard communicator.size > 1, failure == nil else { return local }
        calls += 1
        do { return try communicator.allreduceMax(local) } catch {
            failure = error
            return local
        }
    }

    /// Throws the first MPI error of a `globalMax` call.
    public func throwIfFailed() throws {
        if let failure { throw failure }
    }
}
