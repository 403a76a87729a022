/// One Q8BERT activation threshold: an exponential moving average of batch max|x|,
///   ema <- ema - (1 - decay) (ema - max|x|),
/// set to max|x| itself at the layer's first quantized step; or, in dynamic mode, the batch
/// max of each forward.
public struct ActivationThreshold: Sendable, Equatable {
    public var value: Float = 0

    /// Training: folds this batch's (already globally reduced) max|x| in, with
    /// coefficient = 1 - decay. `first` is the layer's first quantized step.
    public mutating func update(batchMax: Float, coefficient: Float, first: Bool) {
        value = first ? batchMax : value - coefficient * (value - batchMax)
    }
}

/// Scale S = M / threshold of symmetric linear quantization; 0 for a zero threshold, which
/// the kernels treat as "quantize everything to 0" (no infinite scale, no NaN).
@inline(__always)
public func quantizationScale(threshold: Float, maxQ: Float) -> Float {
    threshold > 0 && threshold.isFinite ? maxQ / threshold : 0
}

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
