/// The metrics a task reports, and the one that selects the model.
public struct MetricSet: Sendable, Equatable {
    /// The metrics, in reporting order; always contains `main`.
    public let metrics: [Metric]
    public let main: Metric

    /// `main` is added in front of `metrics` if missing; duplicates are dropped.
    public init(_ metrics: [Metric], main: Metric) {
        var list: [Metric] = []
        for metric in (metrics.contains(main) ? metrics : [main] + metrics) where !list.contains(metric) {
            list.append(metric)
        }
        self.metrics = list
        self.main = main
    }

    /// Scores predicted class ids against gold class ids. With `classes`, every id on either
    /// side must be in `0..<classes`. Correlation metrics, if any, treat the ids as numbers.
    public func evaluate(predictions: [Int], gold: [Int], classes: Int? = nil) throws -> Evaluation {
        guard predictions.count == gold.count else {
            throw MetricError.countMismatch(predictions: predictions.count, gold: gold.count)
        }
        if let classes {
            for (i, (p, g)) in zip(predictions, gold).enumerated() {
                if p < 0 || p >= classes { throw MetricError.classOutOfRange(position: i, value: p, classes: classes) }
                if g < 0 || g >= classes { throw MetricError.classOutOfRange(position: i, value: g, classes: classes) }
            }
        }
        return compute(ids: (predictions, gold), values: (predictions.map(Double.init), gold.map(Double.init)))
    }

    /// Scores regression outputs against gold targets (computed in Double). Throws
    /// `needsClassIds` if the set holds a classification metric.
    public func evaluate(predictions: [Float], gold: [Float]) throws -> Evaluation {
        guard predictions.count == gold.count else {
            throw MetricError.countMismatch(predictions: predictions.count, gold: gold.count)
        }
        if let metric = metrics.first(where: \.needsClassIds) { throw MetricError.needsClassIds(metric: metric) }
        return compute(ids: nil, values: (predictions.map(Double.init), gold.map(Double.init)))
    }

    /// Scores predictions and gold values both given as Double, whatever the task: class ids
    /// (whole numbers) or regression values. Classification metrics round each value to the
    /// nearest id; a NaN or infinite value, or one past ±2⁵³, counts as id −1, which matches
    /// no gold id of a task. Throws only if the counts differ.
    public func evaluate(predictions: [Double], gold: [Double]) throws -> Evaluation {
        guard predictions.count == gold.count else {
            throw MetricError.countMismatch(predictions: predictions.count, gold: gold.count)
        }
        let ids = metrics.contains(where: \.needsClassIds)
            ? (predictions.map(Self.classId), gold.map(Self.classId)) : nil
        return compute(ids: ids, values: (predictions, gold))
    }

    private static func classId(_ value: Double) -> Int {
        guard value.isFinite, abs(value) <= 9_007_199_254_740_992 else { return -1 }
        return Int(value.rounded())
    }

    private func compute(ids: ([Int], [Int])?, values: ([Double], [Double])) -> Evaluation {
        var result: [String: Double] = [:]
        for metric in metrics {
            let value: Double
            switch metric {
            case .accuracy: value = Metrics.accuracy(predictions: ids?.0 ?? [], gold: ids?.1 ?? [])
            case .f1: value = Metrics.f1(predictions: ids?.0 ?? [], gold: ids?.1 ?? [])
            case .mcc: value = Metrics.matthews(predictions: ids?.0 ?? [], gold: ids?.1 ?? [])
            case .pearson: value = Metrics.pearson(values.0, values.1)
            case .spearman: value = Metrics.spearman(values.0, values.1)
            }
            result[metric.rawValue] = value
        }
        return Evaluation(values: result, names: metrics.map(\.rawValue), mainName: main.rawValue)
    }
}
