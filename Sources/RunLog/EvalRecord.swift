/// "eval": one evaluation of the model on a split.
public struct EvalRecord: RunLogRecord, Equatable {
    public static let type = "eval"

    /// "dev" or "test" (a record without one is read as dev: `splitName`).
    public var split: String?
    /// The step the evaluated weights come from.
    public var step: Int
    /// Epochs done (dev evaluations and the final model's test evaluation).
    @NonFiniteAsNull public var epoch: Double?
    /// Mean loss over the split (labeled splits).
    @NonFiniteAsNull public var loss: Double?
    /// The task's metrics (labeled splits), and the one that picks the best checkpoint.
    public var metrics: MetricValues?
    public var mainMetric: String?
    @NonFiniteAsNull public var seconds: Double?
    public var examples: Int?
    /// Which weights a test evaluation used: "final" or "best" (the best dev checkpoint).
    public var checkpoint: String?

    public init(split: String, step: Int, epoch: Double?, loss: Double?, metrics: MetricValues?, mainMetric: String?,
                seconds: Double, examples: Int, checkpoint: String?) {
        self.split = split; self.step = step; self.epoch = epoch; self.loss = loss; self.metrics = metrics
        self.mainMetric = mainMetric; self.seconds = seconds; self.examples = examples; self.checkpoint = checkpoint
    }

    /// The split, "dev" when the record names none.
    public var splitName: String { split ?? "dev" }

    /// A metric's value, if logged.
    public func metric(_ name: String) -> Double? { metrics?[name] }

    enum CodingKeys: String, CodingKey {
        case split, step, epoch, loss, metrics, seconds, examples, checkpoint
        case mainMetric = "main_metric"
    }
}
