/// Everything the trainer needs to know about a task: its labels, whether it is regression,
/// its files and their layouts, and its metrics.
///
/// Get one with `TaskSpec.named("sst2")` (or `GlueTask.sst2.spec`), or define a generic one
/// with `TaskSpec.tsv(textColumns:labelColumn:labels:regression:)`.
public struct TaskSpec: Sendable, Equatable {
    /// The name used on the command line (`sst2`, `mnli`, `tsv`, …).
    public let name: String
    /// Label values as written in the files, in class-id order; empty for regression.
    public let labels: [String]
    /// Readable names for the classes, in class-id order (`negative`, `positive`).
    public let labelNames: [String]
    public let isRegression: Bool
    /// The range regression targets must lie in (STS-B: 0...5); nil: any number a Float holds.
    public let targetRange: ClosedRange<Double>?
    /// File name of each split the task has.
    public let files: [Split: String]
    /// Layout of each split's file; a layout without label column marks an unlabeled split.
    public let layouts: [Split: TSVLayout]
    public let metrics: MetricSet

    public init(name: String, labels: [String], labelNames: [String]? = nil, isRegression: Bool = false,
                targetRange: ClosedRange<Double>? = nil, files: [Split: String], layouts: [Split: TSVLayout],
                metrics: MetricSet) {
        self.name = name
        self.labels = labels
        self.labelNames = labelNames ?? labels
        self.isRegression = isRegression
        self.targetRange = targetRange
        self.files = files
        self.layouts = layouts
        self.metrics = metrics
    }

    /// Size of the model's output layer: the number of classes, or 1 for regression.
    public var numOutputs: Int { isRegression ? 1 : labels.count }

    /// The splits the task has, in `Split.allCases` order.
    public var splits: [Split] { Split.allCases.filter { files[$0] != nil && layouts[$0] != nil } }

    /// The labeled splits to evaluate during training: `dev`, and for MNLI `dev_mismatched`
    /// too. Model selection uses the first.
    public var evaluationSplits: [Split] { [Split.dev, .devMismatched].filter { splits.contains($0) } }

    /// The header names of the text columns (one, or two for pairs) that a file to predict
    /// must have: those of the test file's layout, else the dev file's; nil when neither
    /// names its columns.
    public var textColumnNames: [String]? {
        for split in [Split.test, .dev] {
            guard let layout = layouts[split] else { continue }
            let columns = [layout.textA] + (layout.textB.map { [$0] } ?? [])
            let names = columns.compactMap { column -> String? in if case .named(let n) = column { return n } else { return nil } }
            if layout.hasHeader && names.count == columns.count { return names }
        }
        return nil
    }

    /// The split's file name (`dev_matched.tsv`), or nil if the task lacks the split.
    public func fileName(for split: Split) -> String? { files[split] }

    /// The split's layout, or nil if the task lacks the split.
    public func layout(for split: Split) -> TSVLayout? { layouts[split] }

    /// Whether the split's file carries labels (GLUE test files do not; `movie`'s does). For a
    /// generic task's test split this says "maybe": it is labeled if its header names the label
    /// column (see `Dataset.isLabeled`).
    public func isLabeled(_ split: Split) -> Bool { layouts[split]?.label != nil }

    /// Names accepted by `named(_:)`, plus `tsv` (which needs `tsv(textColumns:…)`).
    public static var knownNames: [String] { GlueTask.allCases.map(\.rawValue) + ["tsv"] }

    /// A built-in task by name, case-insensitive, ignoring `-` and `_` (`SST-2` is `sst2`).
    /// `tsv` throws: the generic task needs its columns (`tsv(textColumns:…)`).
    public static func named(_ name: String) throws -> TaskSpec {
        let key = name.lowercased().filter { $0 != "-" && $0 != "_" }
        if let task = GlueTask(rawValue: key) { return task.spec }
        if key == "tsv" {
            throw TaskError.invalidDefinition(
                task: "tsv", reason: "the generic task needs its text columns, label column and labels "
                    + "(or regression); expected TaskSpec.tsv(textColumns:labelColumn:labels:regression:)")
        }
        throw TaskError.unknownTask(name: name, known: knownNames)
    }
}
