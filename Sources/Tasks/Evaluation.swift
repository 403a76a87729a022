import Foundation

/// The scores of one evaluation: every metric of the task, and the main one used for model
/// selection.
public struct Evaluation: Sendable, Equatable, CustomStringConvertible {
    /// Metric name (`Metric.rawValue`: accuracy, f1, mcc, pearson, spearman) to value.
    public let values: [String: Double]
    /// The names in the task's metric order, for printing.
    public let names: [String]
    /// The name of the main metric.
    public let mainName: String
    /// The main metric's value.
    public let main: Double

    public init(values: [String: Double], names: [String], mainName: String) {
        self.values = values
        self.names = names
        self.mainName = mainName
        self.main = values[mainName] ?? .nan
    }

    /// Whether this evaluation should replace `other` as the best so far: the main metric is
    /// strictly higher (higher is better for every metric). Anything beats nil, so there is
    /// always a best; otherwise a NaN main value beats nothing and any number beats it.
    public func better(than other: Evaluation?) -> Bool {
        guard let other else { return true }
        if main.isNaN { return false }
        if other.main.isNaN { return true }
        return main > other.main
    }

    /// `f1 0.8400 (accuracy 0.7800, f1 0.8400)`.
    public var description: String {
        let all = names.map { name in "\(name) \(format(values[name] ?? .nan))" }.joined(separator: ", ")
        return "\(mainName) \(format(main)) (\(all))"
    }

    private func format(_ value: Double) -> String {
        String(format: "%.4f", value)
    }
}
