/// "step": one optimizer update.
public struct StepRecord: RunLogRecord, Equatable {
    public static let type = "step"

    /// The step, 1-based.
    public var step: Int
    /// Epochs done at the end of the step (fractional).
    @NonFiniteAsNull public var epoch: Double?
    /// The global batch's mean loss, before the update.
    @NonFiniteAsNull public var loss: Double?
    /// The learning rate of the update.
    @NonFiniteAsNull public var lr: Double?
    /// The reduced gradient's global L2 norm, before clipping.
    @NonFiniteAsNull public var gradNorm: Double?
    /// Sequences of the global batch per second of this step.
    @NonFiniteAsNull public var seqPerSecond: Double?
    /// The tokens per sequence the batch was padded to.
    public var seqLen: Int?
    /// Training seconds since the run started (earlier processes of a resumed run included).
    @NonFiniteAsNull public var elapsedSeconds: Double?
    /// Seconds this step waited for the gradient reduction after backward.
    @NonFiniteAsNull public var allreduceWaitSeconds: Double?

    public init(step: Int, epoch: Double?, loss: Double?, lr: Double?, gradNorm: Double?, seqPerSecond: Double?,
                seqLen: Int?, elapsedSeconds: Double?, allreduceWaitSeconds: Double?) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.lr = lr; self.gradNorm = gradNorm
        self.seqPerSecond = seqPerSecond; self.seqLen = seqLen; self.elapsedSeconds = elapsedSeconds
        self.allreduceWaitSeconds = allreduceWaitSeconds
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, loss, lr
        case gradNorm = "grad_norm", seqPerSecond = "seq_per_s", seqLen = "seq_len", elapsedSeconds = "elapsed_s"
        case allreduceWaitSeconds = "allreduce_wait_s"
    }
}
