/// Errors raised when scoring predictions.
public enum MetricError: Error, CustomStringConvertible, Equatable, Sendable {
    /// There are not as many predictions as gold labels.
    case countMismatch(predictions: Int, gold: Int)
    /// A predicted or gold class id is outside `0..<classes`; `position` is 0-based.
    case classOutOfRange(position: Int, value: Int, classes: Int)
    /// A classification metric was asked of real-valued predictions.
    case needsClassIds(metric: Metric)
    /// The data carries no gold labels (a GLUE test file): nothing to score against.
    case unlabeled(file: String, example: Int)
    /// The data's gold values are of the other kind (class ids for a regression task, or
    /// targets for a classification task).
    case wrongKind(file: String, expected: String)

    public var description: String {
        switch self {
        case let .countMismatch(predictions, gold):
            return "got \(predictions) predictions for \(gold) gold labels; expected one per example"
        case let .classOutOfRange(position, value, classes):
            return "class id \(value) at position \(position) is outside 0..<\(classes); "
                + "expected one of the task's \(classes) classes"
        case let .needsClassIds(metric):
            return "\(metric) compares class ids, but real-valued predictions were given"
        case let .unlabeled(file, example):
            return "\(file): example \(example) has no gold label (an unlabeled test file?); "
                + "metrics need labeled data"
        case let .wrongKind(file, expected):
            return "\(file): the examples' gold values are not \(expected)"
        }
    }
}
