import ArgumentParser
import CommandOptions
import BERT
import Foundation
import ModelFormat
import Training

/// The options of `q8train train`, in the spirit of Hugging Face's run_glue.py. Every option
/// is optional here so that a run config file (`--config`, JSON or YAML, the same field names
/// in snake_case) can set it; the command line wins over the file, the file over the defaults.
struct TrainingOptions: ParsableArguments {
    /// The defaults the help texts state: TrainingSettings' own.
    static let defaults = TrainingSettings()

    @Option(help: "Run config file (JSON or YAML) with any of these settings, e.g. learning_rate: 3e-5.")
    var config: String?

    @Option(help: "Model folder with config.json, vocab.txt and model.safetensors. (default: \(TrainingOptions.defaults.model))")
    var model: String?

    @OptionGroup(title: "Task")
    var taskOptions: TaskOptions

    @Option(help: "Folder for checkpoints, log.jsonl and the report. (default: runs/TASK)")
    var outputDir: String?

    @Option(help: "Maximum tokens per example, [CLS] and [SEP] included; longer ones are truncated. (default: \(TrainingOptions.defaults.maxSeqLength))")
    var maxSeqLength: Int?

    @Option(help: "Global batch size (summed over all ranks). (default: \(TrainingOptions.defaults.batchSize))")
    var batchSize: Int?

    @Option(help: "Peak learning rate of AdamW. (default: \(TrainingOptions.defaults.learningRate))")
    var learningRate: Float?

    @Option(help: "Training epochs; fractions allowed. (default: \(TrainingOptions.defaults.epochs))")
    var epochs: Double?

    @Option(help: "Fraction of the steps spent warming the learning rate up from 0. (default: \(TrainingOptions.defaults.warmupRatio))")
    var warmupRatio: Float?

    @Option(help: "AdamW weight decay (not applied to biases and LayerNorm weights). (default: \(TrainingOptions.defaults.weightDecay))")
    var weightDecay: Float?

    @Option(help: "Clip the global gradient norm to this value. (default: \(TrainingOptions.defaults.maxGradNorm))")
    var maxGradNorm: Float?

    @Option(help: "Random seed: classifier initialization, shuffling, dropout. (default: \(TrainingOptions.defaults.seed))")
    var seed: UInt64?

    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "Evaluate on dev every N steps, and at each epoch end; 0 for epoch ends only. (default: \(TrainingOptions.defaults.evalEvery))")
    var evalEvery: Int?

    @Option(help: "Stop after N steps (for quick runs); the learning-rate schedule still spans the epochs.")
    var maxSteps: Int?

    @Flag(help: "Pad every batch to --max-seq-length instead of to its longest example.")
    var padToMaxLength = false

    @Option(help: "Batch size for evaluation. (default: \(TrainingOptions.defaults.evalBatchSize))")
    var evalBatchSize: Int?

    @Option(help: "Data parallel: compare the parameters (a checksum) and the Q8BERT thresholds of every rank every N steps; a rank that differs stops the job.")
    var checkSync: Int?

    @Option(help: ArgumentHelp("Deterministic data parallelism: sum gradients over G fixed groups of each batch in a fixed tree, so that every rank count dividing G trains bit for bit the same (a power of two dividing the batch size). (default: \(TrainingOptions.defaults.reductionGroups), plain sums)", valueName: "G"))
    var reductionGroups: Int?

    @Option(help: ArgumentHelp("Data parallel: exchange the word-embedding gradient by rows, the union of the rows the ranks' tokens touched, while that union is at most F of the vocabulary (dense above it); 0: always dense. (default: \(TrainingOptions.defaults.sparseEmbeddings))", valueName: "F"))
    var sparseEmbeddings: Double?

    @Option(help: ArgumentHelp("Write a full training-state checkpoint (OUTPUT/checkpoints/step-N: parameters, AdamW moments, position, Q8BERT ranges, best dev result) every N steps. (default: \(TrainingOptions.defaults.checkpointEvery), off)", valueName: "steps"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Also write one when M minutes have passed since the last; 0 turns it off. (default: \(TrainingOptions.defaults.checkpointMinutes))", valueName: "M"))
    var checkpointMinutes: Double?

    @Option(help: ArgumentHelp("Keep the newest K checkpoints. (default: \(TrainingOptions.defaults.keepCheckpoints))", valueName: "K"))
    var keepCheckpoints: Int?

    @Option(help: ArgumentHelp("A step whose loss or reduced gradient is NaN or infinite is skipped; stop after K such steps in a row. (default: \(TrainingOptions.defaults.maxBadSteps))", valueName: "K"))
    var maxBadSteps: Int?

    @Option(help: ArgumentHelp("Continue a run from a checkpoint folder, a run folder's newest valid checkpoint, or 'auto' (the newest valid one in --output-dir; a fresh start when there is none). Bitwise exact with the same threads per rank, or with --reduction-groups.", valueName: "dir|auto"))
    var resume: String?

    @Option(help: "Also write the human-readable log to this file.")
    var logFile: String?


    /// Defaults, then the config file, then the command line.
    func resolve() throws -> TrainingSettings {
        var s = TrainingSettings()
        if let config { s = try ConfigFiles.trainingSettings(config) }
        if let model { s.model = model }
        taskOptions.apply(to: &s)
        if let outputDir { s.outputDir = outputDir }
        if let maxSeqLength { s.maxSeqLength = maxSeqLength }
        if let batchSize { s.batchSize = batchSize }
        if let learningRate { s.learningRate = learningRate }
        if let epochs { s.epochs = epochs }
        if let warmupRatio { s.warmupRatio = warmupRatio }
        if let weightDecay { s.weightDecay = weightDecay }
        if let maxGradNorm { s.maxGradNorm = maxGradNorm }
        if let seed { s.seed = seed }
        if let threads = threadOptions.threads { s.threads = threads }
        if let evalEvery { s.evalEvery = evalEvery }
        if let maxSteps { s.maxSteps = maxSteps }
        if padToMaxLength { s.padToMaxLength = true }
        if let evalBatchSize { s.evalBatchSize = evalBatchSize }
        if let logFile { s.logFile = logFile }
        if let checkSync { s.checkSync = checkSync }
        if let reductionGroups { s.reductionGroups = reductionGroups }
        if let sparseEmbeddings { s.sparseEmbeddings = sparseEmbeddings }
        if let checkpointEvery { s.checkpointEvery = checkpointEvery }
        if let checkpointMinutes { s.checkpointMinutes = checkpointMinutes }
        if let keepCheckpoints { s.keepCheckpoints = keepCheckpoints }
        if let maxBadSteps { s.maxBadSteps = maxBadSteps }
        if let resume { s.resume = resume }
        try s.validate()
        return s
    }
}
