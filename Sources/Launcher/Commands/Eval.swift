import ArgumentParser
import BERT
import Foundation
import Tensor
import Training

/// `q8train eval`: evaluates a saved checkpoint on a task's split. A QAT checkpoint runs with
/// its frozen thresholds, as the integer runtime will; `--quantize dynamic` applies
/// post-training dynamic quantization to an FP32 checkpoint (the paper's DQ baseline).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a saved checkpoint on a task.")

    @Option(help: "Model folder (a best/ or final/ folder of a run).")
    var model: String

    @Option(help: "Task name (as for train).")
    var task: String = "movie"

    @Option(help: "Folder with the task's TSV files. (default: assets/data/TASK)")
    var dataDir: String?

    @Option(help: "Split to evaluate: dev or test.")
    var split: String = "test"

    @Option(help: "Maximum tokens per example.")
    var maxSeqLength: Int = 64

    @Option(help: "Batch size.")
    var batchSize: Int = 64

    @Option(help: "none (as saved), or dynamic: 8-bit weights and per-batch activation ranges (post-training).")
    var quantize: String = "none"

    @Option(help: "Worker threads. (default: the CPUs of this process's affinity mask)")
    var threads: Int?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Option(help: "Also write each example's predicted label and logits (TSV: label, logits as a JSON array).")
    var predictions: String?

    func validate() throws {
        guard ["dev", "test"].contains(split) else { throw ValidationError("--split must be dev or test, found \(split)") }
        guard ["none", "dynamic"].contains(quantize) else { throw ValidationError("--quantize must be none or dynamic, found \(quantize)") }
    }

    func run() throws {
        Parallel.configure(threads: threads ?? CPUAffinity.cpus().count)
        let dir = URL(fileURLWithPath: model)
        var settings = TrainingSettings()
        settings.task = task
        settings.dataDir = dataDir
        settings.maxSeqLength = maxSeqLength
        let tokenizer = try BertTokenizer(vocabularyFile: dir.appendingPathComponent("vocab.txt"))
        let data = try TaskData.load(settings, tokenizer: tokenizer)
        let (bert, report) = try PretrainedLoader.load(directory: dir, numLabels: data.labels.count)
        if report.initializedClassifier {
            throw ValidationError("\(dir.path) has no classifier: evaluate a fine-tuned checkpoint (a run's best/ or final/)")
        }
        if quantize == "dynamic" {
            if report.quantized { throw ValidationError("\(dir.path) is already quantized; --quantize dynamic applies to FP32 checkpoints") }
            try bert.enableQuantization(.dynamic)
        }
        guard let dataset = split == "dev" ? data.dev : data.test else {
            throw ValidationError("task \(task) has no \(split) file in \(settings.resolvedDataDir)")
        }
        let result = try Evaluator(batchSize: batchSize, padToMax: false).evaluate(bert, on: dataset, task: data)
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
        let mode = report.quantized ? "int8 (\(bert.quantization?.method ?? "QAT"))" : quantize == "dynamic" ? "int8 dynamic (DQ)" : "fp32"
        if json {
            let object: [String: Any] = ["model": model, "task": task, "split": split, "mode": mode,
                                         "examples": dataset.count, "metrics": scores.values, "loss": result.loss ?? 0]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(task) \(split) (\(dataset.count) examples, \(mode)): "
                  + scores.values.keys.sorted().map { String(format: "%@ %.4f", $0, scores.values[$0]!) }.joined(separator: ", "))
        }
    }
}
