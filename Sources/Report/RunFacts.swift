/// The headline numbers of a run, taken from the summary record when there is one and
/// worked out from the other records otherwise (a crashed or running job has no summary).
struct RunFacts {
    /// The metric that picks the best checkpoint, e.g. "accuracy".
    var mainMetric: String?
    /// The best dev evaluation of `mainMetric`.
    var bestStep: Int?
    var bestValue: Double?
    /// Final test metrics, main metric first.
    var testMetrics: [(name: String, value: Double)] = []
    /// Training time: the summary's total, else the last step's elapsed time.
    var trainSeconds: Double?
    var finished: Bool
    var medianThroughput: Double?
    var peakRSSMegabytes: Double?
    var lastStep: Int?
    var lastEpoch: Double?

    init(_ log: RunLog) {
        let dev = log.evals(split: "dev")
        finished = log.summary != nil
        mainMetric = log.summary?.mainMetric ?? dev.last?.mainMetric ?? log.evals.last?.mainMetric
            ?? dev.first?.metrics.first?.name
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

        var test = log.summary?.test ?? []
        if test.isEmpty { test = log.evals(split: "test").last?.metrics ?? [] }
        if let metric = mainMetric, let i = test.firstIndex(where: { $0.name == metric }) {
            test.insert(test.remove(at: i), at: 0)
        }
        testMetrics = test

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
