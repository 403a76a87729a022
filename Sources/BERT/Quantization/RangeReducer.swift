/// Combines a per-rank batch max|x| into the global one (MPI allreduce MAX under data
/// parallelism; the identity in one process), so that every rank's thresholds equal a
/// single process's over the global batch.
public protocol RangeReducer: AnyObject {
    func globalMax(_ local: Float) -> Float
}

/// The single-process reducer.
public final class LocalRangeReducer: RangeReducer {
    public init() {}
    public func globalMax(_ local: Float) -> Float { local }
}
