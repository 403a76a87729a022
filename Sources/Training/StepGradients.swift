import BERT

/// This rank's gradients of one training step, as a gradient inspector sees them
/// (`Trainer.gradientInspector`): complete after backward, not yet reduced over the ranks,
/// checked for NaN, clipped or applied.
public struct StepGradients {
    /// The step, 1-based (as logged), and this rank.
    public let step: Int
    public let rank: Int
    let model: BertForSequenceClassification

    /// The gradient of the parameter `name` (a layout key, e.g. "classifier.weight"),
    /// flattened, writable; nil when the model has no such parameter.
    public func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        model.tensor(name, gradient: true)
    }
}
