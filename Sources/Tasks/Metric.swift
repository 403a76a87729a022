/// A score computed from predictions and gold labels. The raw value is the key used in
/// `Evaluation.values` and in logs.
public enum Metric: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Fraction of exact matches.
    case accuracy
    /// Binary F1 of class 1 (`sklearn.metrics.f1_score`).
    case f1
    /// Matthews correlation coefficient (`sklearn.metrics.matthews_corrcoef`).
    case mcc
    /// Pearson correlation of regression outputs with the targets.
    case pearson
    /// Spearman rank correlation, ties given their average rank (`scipy.stats.spearmanr`).
    case spearman

    public var description: String { rawValue }

    /// Whether larger values are better: true for every metric here.
    public var higherIsBetter: Bool { true }

    /// Whether the metric compares class ids (false: it correlates real values).
    public var needsClassIds: Bool {
        switch self {
        case .accuracy, .f1, .mcc: return true
        case .pearson, .spearman: return false
        }
    }
}
