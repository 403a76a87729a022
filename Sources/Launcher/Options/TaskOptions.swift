import ArgumentParser
import BERT
import ModelFormat
import Training

/// The task options `train` and `eval` share: which task, where its files are, and the
/// generic tsv task's columns and labels. Every one is optional: `train` falls back to its run
/// config and then the defaults (the movie task), `eval` to the task the model folder records.
struct TaskOptions: ParsableArguments {
    @Option(help: "Task: movie, sst2, cola, mrpc, rte, qnli, qqp, mnli, stsb, or tsv (generic). (default: train: movie; eval: the model folder's task.json)")
    var task: String?

    @Option(help: "Folder with the task's TSV files. (default: assets/data/TASK)")
    var dataDir: String?

    @Option(parsing: .upToNextOption,
            help: "Generic tsv task: the text column(s), one or two header names, space- or comma-separated.")
    var textColumns: [String] = []

    @Option(help: "Generic tsv task: the label column's header name.")
    var labelColumn: String?

    @Option(parsing: .upToNextOption,
            help: "Generic tsv task: the label names in id order, space- or comma-separated (one name, 'score', for regression).")
    var labelNames: [String] = []

    /// A list option as given: "a b", "a,b" and "a, b" are the same two names.
    static func split(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    var splitTextColumns: [String] { Self.split(textColumns) }
    var splitLabelNames: [String] { Self.split(labelNames) }

    /// Whether any option names the task or its columns (beyond the data folder).
    var namesTask: Bool { task != nil || !textColumns.isEmpty || labelColumn != nil || !labelNames.isEmpty }

    /// Sets what the command line gives on `s`.
    func apply(to s: inout TrainingSettings) {
        if let task { s.task = task }
        if let dataDir { s.dataDir = dataDir }
        if !splitTextColumns.isEmpty { s.textColumns = splitTextColumns }
        if let labelColumn { s.labelColumn = labelColumn }
        if !splitLabelNames.isEmpty { s.labelNames = splitLabelNames }
    }
}

extension TrainingSettings {
    /// The task fields of a model folder's task.json: its name, the generic task's columns
    /// and labels, and its sequence length.
    mutating func apply(_ d: TaskDefinition) {
        task = d.name
        maxSeqLength = d.maxSeqLength
        if d.name == "tsv" {
            textColumns = d.textColumns
            labelColumn = d.labelColumn
            labelNames = d.labelNames
        }
    }
}
