import ArgumentParser
import BERT
import Foundation
import Logging
import Tensor
import Training

/// `q8train train`: fine-tunes a BERT on a task (FP32, or Q8BERT quantization-aware with
/// --quantize), keeping the best dev checkpoint, then evaluates on test and writes the report.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune BERT on a GLUE-style task (Q8BERT quantization-aware with --quantize).",
        discussion: """
        With no options it fine-tunes the bundled MiniLM on the bundled movie task. Results go to \
        --output-dir: best/ and final/ (Hugging Face model folders), log.jsonl, report.html.
        """)

    @OptionGroup var options: TrainingOptions

    @Option(help: "Quantization-aware training: none, q8bert (recommended), q8bert-paper, or a per-layer JSON/YAML file.")
    var quantize: String?

    func validate() throws {
        do { _ = try resolvedSettings() } catch let error as SettingsError { throw ValidationError(error.description) }
    }

    func resolvedSettings() throws -> TrainingSettings {
        var s = try options.resolve()
        if let quantize { s.quantize = quantize }
        return s
    }

    func run() throws {
        let settings = try resolvedSettings()
        let threads = settings.threads ?? ProcessInfo.processInfo.activeProcessorCount
        Parallel.configure(threads: threads)
        let logger = Log.bootstrap(file: settings.logFile)
        let modelDir = URL(fileURLWithPath: settings.model)
        let vocabulary = modelDir.appendingPathComponent("vocab.txt")
        let tokenizer = try BertTokenizer(vocabularyFile: vocabulary)
        let task = try TaskData.load(settings, tokenizer: tokenizer)
        let (model, report) = try PretrainedLoader.load(directory: modelDir, numLabels: task.labels.count,
                                                        seed: settings.seed)
        logger.info("model \(settings.model): \(model.config.numHiddenLayers) layers, hidden \(model.config.hiddenSize), \(model.layout.parameterCount) parameters\(report.initializedClassifier ? ", new classifier" : "")")
        if let quantization = try Quantize.config(settings.quantize) {
            try model.enableQuantization(quantization, source: settings.quantize)
            logger.info("Q8BERT quantization-aware training: \(quantization.method)")
        }
        let trainer = try Trainer(settings: settings, model: model, task: task, vocabulary: vocabulary,
                                  baseConfig: modelDir.appendingPathComponent("config.json")) { logger.info("\($0)") }
        try trainer.run()
        let output = URL(fileURLWithPath: settings.resolvedOutputDir)
        try ReportCommand.write(run: output, logger: logger)
    }
}
