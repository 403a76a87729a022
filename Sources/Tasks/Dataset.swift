import Foundation

/// The examples of one split of a task, read from `url`.
public struct Dataset: Sendable {
    public let task: TaskSpec
    public let split: Split
    public var examples: [Example]
    public let url: URL
    /// Malformed rows skipped under `ReadOptions.skipMalformed` (empty otherwise).
    public let skipped: [TSVError]
    /// Whether the file had a label column (false for GLUE test files).
    public let isLabeled: Bool

    public init(task: TaskSpec, split: Split, examples: [Example], url: URL, skipped: [TSVError] = [],
                isLabeled: Bool) {
        self.task = task
        self.split = split
        self.examples = examples
        self.url = url
        self.skipped = skipped
        self.isLabeled = isLabeled
    }

    public var count: Int { examples.count }

    /// Scores predicted class ids (one per example, in order) with the task's metrics.
    /// Throws if the data is unlabeled, the task is regression, the count differs, or an id is
    /// not a class of the task.
    public func evaluate(predictions: [Int]) throws -> Evaluation {
        guard !task.isRegression else { throw MetricError.wrongKind(file: url.path, expected: "class ids") }
        var gold: [Int] = []
        gold.reserveCapacity(examples.count)
        for example in examples {
            guard let label = example.label else {
                throw MetricError.unlabeled(file: url.path, example: example.index)
            }
            gold.append(label)
        }
        return try task.metrics.evaluate(predictions: predictions, gold: gold, classes: task.labels.count)
    }

    /// Scores regression outputs (one per example, in order) with the task's metrics.
    public func evaluate(predictions: [Float]) throws -> Evaluation {
        guard task.isRegression else { throw MetricError.needsClassIds(metric: task.metrics.main) }
        var gold: [Float] = []
        gold.reserveCapacity(examples.count)
        for example in examples {
            guard let target = example.target else {
                throw MetricError.unlabeled(file: url.path, example: example.index)
            }
            gold.append(target)
        }
        return try task.metrics.evaluate(predictions: predictions, gold: gold)
    }
}

extension TaskSpec {
    /// The split's file in `directory` (`DIR/dev_matched.tsv`).
    public func url(for split: Split, in directory: URL) throws -> URL {
        guard let name = fileName(for: split) else {
            throw TaskError.splitUnavailable(task: self.name, split: split, available: splits)
        }
        return directory.appendingPathComponent(name)
    }

    /// Reads a split from the task's file in `directory` (the `--data-dir`).
    public func load(_ split: Split, from directory: URL, options: ReadOptions = ReadOptions()) throws -> Dataset {
        try load(split, file: url(for: split, in: directory), options: options)
    }

    /// Reads a split from an explicit file, with that split's layout.
    public func load(_ split: Split, file: URL, options: ReadOptions = ReadOptions()) throws -> Dataset {
        let rows = try TSVReader(task: self, split: split, options: options).read(file)
        return Dataset(task: self, split: split, examples: rows.examples, url: file, skipped: rows.skipped,
                       isLabeled: rows.isLabeled)
    }

    /// Parses in-memory contents with the split's layout; `file` names them in errors.
    public func parse(_ data: Data, split: Split, file: String, options: ReadOptions = ReadOptions()) throws -> Dataset {
        let rows = try TSVReader(task: self, split: split, options: options).parse(data, file: file)
        return Dataset(task: self, split: split, examples: rows.examples, url: URL(fileURLWithPath: file),
                       skipped: rows.skipped, isLabeled: rows.isLabeled)
    }
}
