import BERT
import ModelFormat
/// A task's encoded splits and how to score predictions: what the trainer needs from the
/// task layer (which reads the files) and nothing more.
public struct TaskData: Sendable {
    public var name: String
    /// Class names by id (["score"] for regression).
    public var labels: [String]
    public var regression: Bool
    public var train: EncodedDataset
    public var dev: EncodedDataset
    /// nil when the task has no test split here; unlabeled test sets are predicted, not scored.
    public var test: EncodedDataset?
    /// Scores predictions (class ids, or values for regression) against gold labels
    /// (class ids as Double, or targets): all metrics, the main metric's name.
    public var score: @Sendable (_ predictions: [Double], _ gold: [Double]) -> Scores
    /// What the model folders record as task.json (nil: nothing recorded, e.g. synthetic data).
    public var definition: TaskDefinition?

    public init(name: String, labels: [String], regression: Bool, train: EncodedDataset, dev: EncodedDataset,
                test: EncodedDataset?, definition: TaskDefinition? = nil,
                score: @escaping @Sendable ([Double], [Double]) -> Scores) {
        self.name = name; self.labels = labels; self.regression = regression
        self.train = train; self.dev = dev; self.test = test; self.definition = definition; self.score = score
    }
}

/// Metric values by name (accuracy, f1, mcc, pearson, spearman) and which one selects models.
public struct Scores: Sendable, Equatable {
    public var values: [String: Double]
    public var main: String
    public init(values: [String: Double], main: String) { self.values = values; self.main = main }
    public var mainValue: Double { values[main] ?? -.infinity }
}
