/// "bad_step": a step skipped because its loss or reduced gradient was not finite (no
/// update; the Q8BERT ranges it measured undone).
public struct BadStepRecord: RunLogRecord, Equatable {
    public static let type = "bad_step"

    /// The step, 1-based (it counts although nothing was updated).
    public var step: Int
    @NonFiniteAsNull public var epoch: Double?
    /// The loss and gradient norm (null when not finite).
    @NonFiniteAsNull public var loss: Double?
    @NonFiniteAsNull public var gradNorm: Double?
    /// The first parameter, in backward order, whose gradient was not finite (null when the
    /// loss was, or only the norm overflowed).
    @NilAsNull public var tensor: String?
    /// Bad steps in a row, this one included, and in the whole run.
    public var consecutive: Int?
    public var skippedSteps: Int?

    public init(step: Int, epoch: Double?, loss: Double?, gradNorm: Double?, tensor: String?, consecutive: Int?,
                skippedSteps: Int?) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.gradNorm = gradNorm; self.tensor = tensor
        self.consecutive = consecutive; self.skippedSteps = skippedSteps
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, loss, tensor, consecutive
        case gradNorm = "grad_norm", skippedSteps = "skipped_steps"
    }
}
