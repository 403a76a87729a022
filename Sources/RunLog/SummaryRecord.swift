/// "summary": the last record of a finished run.
public struct SummaryRecord: RunLogRecord, Equatable {
    public static let type = "summary"

    /// Steps done, and how many of them were skipped (non-finite loss or gradient).
    public var steps: Int?
    public var skippedSteps: Int?
    /// Training seconds (earlier processes of a resumed run included), and sequences per second over them.
    @NonFiniteAsNull public var trainSeconds: Double?
    @NonFiniteAsNull public var trainSeqPerSecond: Double?
    /// Test metrics of the final model, and of the best dev checkpoint (the reported ones);
    /// empty when the test set is unlabeled, absent without a test set.
    public var testFinal: MetricValues?
    public var test: MetricValues?
    /// The best dev evaluation: its step, main metric's value and name.
    public var bestStep: Int?
    @NonFiniteAsNull public var bestMetric: Double?
    public var mainMetric: String?
    /// Peak resident memory of rank 0, MiB.
    @NonFiniteAsNull public var peakRSSMegabytes: Double?

    public init(steps: Int, skippedSteps: Int, trainSeconds: Double, trainSeqPerSecond: Double,
                testFinal: MetricValues? = nil, test: MetricValues? = nil, bestStep: Int? = nil,
                bestMetric: Double? = nil, mainMetric: String? = nil, peakRSSMegabytes: Double? = nil) {
        self.steps = steps; self.skippedSteps = skippedSteps; self.trainSeconds = trainSeconds
        self.trainSeqPerSecond = trainSeqPerSecond; self.testFinal = testFinal; self.test = test
        self.bestStep = bestStep; self.bestMetric = bestMetric; self.mainMetric = mainMetric
        self.peakRSSMegabytes = peakRSSMegabytes
    }

    enum CodingKeys: String, CodingKey {
        case steps, test
        case skippedSteps = "skipped_steps", trainSeconds = "train_seconds", trainSeqPerSecond = "train_seq_per_s"
        case testFinal = "test_final", bestStep = "best_step", bestMetric = "best_metric", mainMetric = "main_metric"
        case peakRSSMegabytes = "peak_rss_mb"
    }
}
