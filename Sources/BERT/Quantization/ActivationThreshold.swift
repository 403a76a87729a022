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
