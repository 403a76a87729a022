import BERT
import Foundation
import ModelFormat
import Tasks

extension TaskData {
    /// Reads and tokenizes a task's splits (train, dev, and test when its file is present)
    /// as `settings` name them.
    public static func load(_ settings: TrainingSettings, tokenizer: BertTokenizer) throws -> TaskData {
        let spec = try taskSpec(settings)
        let dir = URL(fileURLWithPath: settings.resolvedDataDir)
        func encoded(_ split: Split) throws -> EncodedDataset {
            let data = try spec.load(split, from: dir)
            return EncodedDataset(data.examples.map {
                .init(textA: $0.textA, textB: $0.textB, label: $0.label, target: $0.target)
            }, tokenizer: tokenizer, maxLength: settings.maxSeqLength)
        }
        let train = try encoded(.train)
        let dev = try encoded(spec.evaluationSplits.first ?? .dev)
        var test: EncodedDataset?
        if let testURL = try? spec.url(for: .test, in: dir), FileManager.default.fileExists(atPath: testURL.path) {
            test = try encoded(.test)
        }
        let metrics = spec.metrics
        let labels = spec.isRegression ? ["score"] : spec.labelNames
        // The generic task's spec is named "tsv" (its columns come from the settings).
        let definition = TaskDefinition(name: spec.name, textColumns: spec.textColumnNames,
                                        labelColumn: spec.name == "tsv" ? settings.labelColumn : nil,
                                        labelNames: labels, regression: spec.isRegression, maxSeqLength: settings.maxSeqLength)
        return TaskData(name: spec.name, labels: labels, regression: spec.isRegression, train: train, dev: dev, test: test,
                        definition: definition) { predictions, gold in
            guard let e = try? metrics.evaluate(predictions: predictions, gold: gold) else {
                preconditionFailure("predictions and labels differ in count")
            }
            return Scores(values: e.values, main: e.mainName)
        }
    }

    /// The files `load` reads: train, dev (or the task's evaluation split) and test, whether
    /// or not they exist (ranks compare what they see of them before loading).
    public static func dataFiles(_ settings: TrainingSettings) throws -> [URL] {
        let spec = try taskSpec(settings)
        let dir = URL(fileURLWithPath: settings.resolvedDataDir)
        return [Split.train, spec.evaluationSplits.first ?? .dev, .test].compactMap { try? spec.url(for: $0, in: dir) }
    }

    /// The task named in `settings` (the generic "tsv" task takes its columns from them).
    public static func taskSpec(_ s: TrainingSettings) throws -> TaskSpec {
        guard s.task.lowercased() == "tsv" else { return try TaskSpec.named(s.task) }
        guard let text = s.textColumns, !text.isEmpty, let label = s.labelColumn else {
            throw SettingsError.invalid(field: "task", message: "the generic tsv task needs --text-columns and --label-column")
        }
        let names = s.labelNames ?? []
        let regression = names == ["score"]
        return try TaskSpec.tsv(textColumns: text, labelColumn: label, labels: regression ? [] : names, regression: regression)
    }
}
