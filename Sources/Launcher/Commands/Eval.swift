import ArgumentParser
import BERT
import CommandOptions
import Foundation
import ModelFormat
import Tensor
import Training

/// `q8train eval`: evaluates a saved checkpoint on a task's split. A QAT checkpoint runs with
/// its frozen thresholds, as the integer runtime will; `--quantize dynamic` applies
/// post-training dynamic quantization to an FP32 checkpoint (the paper's DQ baseline).
/// The task is the one the folder records (task.json) unless the options name another.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved checkpoint on a task.",
        discussion: """
        The model folder's task.json (written with every run's best/ and final/ folder) says which \
        task it was trained on: its name, a generic TSV task's columns and labels, and the maximum \
        sequence length. eval uses it unless --task names another; a folder without one needs --task.
        """)

    @Option(help: "Model folder (a best/ or final/ folder of a run).")
    var model: String

    @OptionGroup(title: "Task")
    var taskOptions: TaskOptions

    @Option(help: "Split to evaluate.")
    var split: EvaluationSplit = .test

    @OptionGroup(title: "Runtime")
    var runtime: RuntimeOptions

    @Option(help: "none (as saved), or dynamic: 8-bit weights and per-batch activation ranges (post-training).")
    var quantize: PostTrainingQuantization = .none

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Option(help: "Also write each example's predicted label and logits (TSV: label, logits as a JSON array).")
    var predictions: String?

    func run() throws {
        runtime.threadOptions.configure()
        let dir = URL(fileURLWithPath: model)
        let settings = try Self.settings(folder: dir, options: taskOptions, runtime: runtime)
        let task = settings.task
        let tokenizer = try BertTokenizer(vocabularyFile: dir.appendingPathComponent("vocab.txt"))
        let data = try TaskData.load(settings, tokenizer: tokenizer)
        let (bert, report) = try PretrainedLoader.load(directory: dir, numLabels: data.labels.count)
        if report.initializedClassifier {
            throw ValidationError("\(dir.path) has no classifier: evaluate a fine-tuned checkpoint (a run's best/ or final/)")
        }
        if quantize == .dynamic {
            if report.quantized { throw ValidationError("\(dir.path) is already quantized; --quantize dynamic applies to FP32 checkpoints") }
            try bert.enableQuantization(.dynamic)
        }
        guard let dataset = split == .dev ? data.dev : data.test else {
            throw ValidationError("task \(task) has no \(split) file in \(settings.resolvedDataDir)")
        }
        let result = try Evaluator(batchSize: runtime.batchSize, padToMax: false).evaluate(bert, on: dataset, task: data)
        if let predictions {
            var text = "label\tlogits\n"
            let L = bert.numLabels
            for (i, p) in result.predictions.enumerated() {
                let row = Array(result.logits[(i * L)..<((i + 1) * L)])
                text += (data.regression ? String(p) : data.labels[Int(p)]) + "\t" + Predict.logitsJSON(row) + "\n"
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: predictions), options: .atomic)
        }
        guard let scores = result.scores else { throw ValidationError("the \(split) split is unlabeled") }
        let mode = report.quantized ? "int8 (\(bert.quantization?.method ?? "QAT"))" : quantize == .dynamic ? "int8 dynamic (DQ)" : "fp32"
        if json {
            let object = EvalResult(model: model, task: task, split: split.rawValue, mode: mode, examples: dataset.count,
                                    metrics: scores.values, loss: result.loss ?? 0)
            print(String(decoding: try ModelFormatJSON.encode(object, pretty: false), as: UTF8.self))
        } else {
            print("\(task) \(split) (\(dataset.count) examples, \(mode)): "
                  + scores.values.keys.sorted().map { String(format: "%@ %.4f", $0, scores.values[$0]!) }.joined(separator: ", "))
        }
    }

    /// The task settings to evaluate with: the folder's task.json, unless --task names another
    /// task; then the command line's columns, labels, data folder and length (else the
    /// recorded one, else `RuntimeOptions.fallbackMaxSeqLength`).
    static func settings(folder: URL, options: TaskOptions, runtime: RuntimeOptions) throws -> TrainingSettings {
        var s = TrainingSettings()
        let recorded = try TaskDefinition.load(folder: folder)
        if let recorded, options.task.map({ $0.lowercased() == recorded.name.lowercased() }) ?? true {
            s.apply(recorded)
        } else if recorded == nil && options.task == nil {
            throw ValidationError("\(folder.path) records no task (no \(TaskDefinition.fileName); folders written before "
                                  + "q8train recorded it, or not a run's checkpoint): name it with --task, and for a generic "
                                  + "TSV task --text-columns, --label-column and --label-names")
        }
        options.apply(to: &s)
        s.maxSeqLength = runtime.maxSeqLength(recorded: recorded?.maxSeqLength)
        try s.validate()
        return s
    }
}
