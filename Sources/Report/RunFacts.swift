import RunLog

/// The headline numbers of a run, taken from the summary record when there is one and
/// worked out from the other records otherwise (a crashed or running job has no summary).
struct RunFacts {
    /// The metric that picks the best checkpoint, e.g. "accuracy".
    var mainMetric: String?
    /// The best dev evaluation of `mainMetric`.
    var bestStep: Int?
    var bestValue: Double?
    /// Test metrics of the reported model, main metric first.
    var testMetrics: [(name: String, value: Double)] = []
    /// Which model `testMetrics` measure, e.g. "best dev checkpoint".
    var testNote = ""
    /// Test metrics of the model after the last step, when the log has them besides.
    var testFinal: [(name: String, value: Double)] = []
    /// Sequences per second over the whole training (summary only).
    var overallThroughput: Double?
    /// Training time: the summary's total, else the last step's elapsed time.
    var trainSeconds: Double?
    var finished: Bool
    var medianThroughput: Double?
    var peakRSSMegabytes: Double?
    var lastStep: Int?
    var lastEpoch: Double?

    init(_ log: RunHistory) {
        let dev = log.evals(split: "dev")
        finished = log.summary != nil
        mainMetric = log.summary?.mainMetric ?? dev.last?.mainMetric ?? log.evals.last?.mainMetric
            ?? dev.first?.metrics?.sorted.first?.name
        if let summary = log.summary, let step = summary.bestStep {
            bestStep = step
            bestValue = summary.bestMetric
                ?? mainMetric.flatMap { m in dev.last(where: { $0.step == step })?.metric(m) }
        } else if let metric = mainMetric {
            let lower = RunFacts.lowerIsBetter(metric)
            for e in dev {
                guard let v = e.metric(metric), v.isFinite else { continue }
                if bestValue.map({ lower ? v < $0 : v > $0 }) ?? true {
                    bestValue = v
                    bestStep = e.step
                }
            }
        }

        // Test: the summary's, else the evaluation of the best checkpoint, else the last one.
        let testEvals = log.evals(split: "test")
        let testEval = testEvals.last(where: { $0.checkpoint == "best" }) ?? testEvals.last
        var test = log.summary?.test?.sorted ?? []
        if test.isEmpty, let e = testEval {
            test = e.metrics?.sorted ?? []
        }
        if let metric = mainMetric, let i = test.firstIndex(where: { $0.name == metric }) {
            test.insert(test.remove(at: i), at: 0)
        }
        testMetrics = test
        if testEval?.checkpoint == "best" || (log.summary?.test?.isEmpty == false && log.summary?.bestStep != nil) {
            testNote = "best dev checkpoint"
        } else if testEval?.checkpoint == "final" {
            testNote = "final model"
        } else if let e = testEval {
            testNote = "model at step \(e.step)"
        }
        testFinal = log.summary?.testFinal?.sorted ?? []
        if testFinal.isEmpty, testEval?.checkpoint != "final" {
            testFinal = testEvals.last(where: { $0.checkpoint == "final" })?.metrics?.sorted ?? []
        }
        overallThroughput = log.summary?.trainSeqPerSecond

        trainSeconds = log.summary?.trainSeconds ?? log.steps.last(where: { $0.elapsedSeconds != nil })?.elapsedSeconds
        medianThroughput = Smoothing.median(log.steps.compactMap(\.seqPerSecond))
        peakRSSMegabytes = log.summary?.peakRSSMegabytes
        lastStep = log.steps.last?.step
        lastEpoch = log.steps.last(where: { $0.epoch != nil })?.epoch
    }

    /// Whether smaller is better for a metric, judged by its name (loss, error, MSE, ...).
    static func lowerIsBetter(_ metric: String) -> Bool {
        let words = metric.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        let lowerBetter: Set<String> = ["loss", "error", "err", "mse", "mae", "rmse", "perplexity", "ppl", "wer", "cer"]
        return words.contains { lowerBetter.contains(String($0)) }
    }
}
