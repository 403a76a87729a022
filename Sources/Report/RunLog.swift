/// What a run's `log.jsonl` holds, record by record. Absent fields are nil; fields and record
/// types this version does not know are dropped when reading.
struct RunLog {
    /// One training step.
    struct Step {
        var step: Int
        var epoch: Double?
        var loss: Double?
        var lr: Double?
        var gradNorm: Double?
        var seqPerSecond: Double?
        var elapsedSeconds: Double?
    }

    /// One evaluation on a split ("dev" or "test").
    struct Eval {
        var split: String
        var step: Int
        var epoch: Double?
        var loss: Double?
        /// Numeric metrics in file order.
        var metrics: [(name: String, value: Double)]
        var mainMetric: String?
        var seconds: Double?
        /// Which weights a test evaluation used ("best" dev checkpoint or "final"), if logged.
        var checkpoint: String?

        func metric(_ name: String) -> Double? { metrics.first(where: { $0.name == name })?.value }
    }

    /// The quantization thresholds of one layer at one step.
    struct LayerThresholds {
        var input: Double?
        var output: Double?
        var weight: Double?
    }

    /// The per-layer thresholds at one step; layers in file order.
    struct QuantSnapshot {
        var step: Int
        var layers: [(name: String, thresholds: LayerThresholds)]
    }

    /// The closing record of a finished run.
    struct Summary {
        var bestStep: Int?
        var bestMetric: Double?
        var mainMetric: String?
        var trainSeconds: Double?
        var peakRSSMegabytes: Double?
        /// Test metrics of the reported model (the best dev checkpoint).
        var test: [(name: String, value: Double)]
        /// Test metrics of the model after the last step, when logged as well.
        var testFinal: [(name: String, value: Double)] = []
        /// Sequences per second over the whole training.
        var trainSeqPerSecond: Double?
    }

    /// The log's path, for messages.
    var path: String
    /// The config record's "settings" (nil when the log has none).
    var settings: JSONObject?
    /// The config record's other fields (e.g. total_steps, parameters), in file order.
    var configExtras = JSONObject()
    /// Training steps sorted by step; when a resumed run repeats a step, the later line wins.
    var steps: [Step] = []
    var evals: [Eval] = []
    var quant: [QuantSnapshot] = []
    var summary: Summary?
    /// Problems that did not stop the report, shown on the page.
    var warnings: [String] = []

    /// The evaluations on `split`, in file order.
    func evals(split: String) -> [Eval] { evals.filter { $0.split == split } }

    /// A setting's value as text, if present.
    func setting(_ key: String) -> String? { settings?[key]?.displayText }
}
