import BERT
import ModelFormat
/// Everything that defines a fine-tuning run. Field names are the long option names
/// (snake_case in config files and in the log), so a run config file, the command line and
/// log.jsonl's "config" record speak the same language.
public struct TrainingSettings: Codable, Sendable, Equatable {
    /// Model folder (config.json, vocab.txt, model.safetensors).
    public var model = "assets/models/minilm-l6-h384"
    /// Task name (movie, sst2, cola, mrpc, rte, qnli, qqp, mnli, stsb, tsv).
    public var task = "movie"
    /// Folder with the task's TSV files; default assets/data/TASK.
    public var dataDir: String?
    /// Where checkpoints, log.jsonl and the report go; default runs/TASK.
    public var outputDir: String?
    public var maxSeqLength = 64
    /// Global batch size (across all ranks).
    public var batchSize = 32
    public var learningRate: Float = 5e-5
    public var epochs: Double = 2
    public var warmupRatio: Float = 0.1
    public var weightDecay: Float = 0
    public var maxGradNorm: Float = 1
    public var seed: UInt64 = 42
    /// Worker threads per rank; nil: the CPUs of its affinity mask / the local ranks sharing them.
    public var threads: Int?
    /// Evaluate on dev every N steps (and at every epoch end); 0: epoch ends only.
    public var evalEvery = 100
    /// Stop after this many steps (quick runs); nil: run all epochs.
    public var maxSteps: Int?
    /// Pad every batch to max_seq_length (as fixed-shape frameworks do) instead of to its longest sequence.
    public var padToMaxLength = false
    /// Batch size for evaluation.
    public var evalBatchSize = 64
    /// Human-readable log file (besides stderr).
    public var logFile: String?
    /// Data parallel: checksum the parameters on every rank every N steps and stop with an
    /// error naming the first rank that differs (0: never).
    public var checkSync = 0
    /// Deterministic data parallelism: gradients are summed over this many fixed groups of
    /// each batch's examples in a fixed tree, continued over the ranks, so that every world
    /// size dividing it gives bitwise-identical training (a power of two dividing batch_size;
    /// 1: plain sums, fastest).
    public var reductionGroups = 1
    /// Quantization-aware training: none, a preset (q8bert, q8bert-paper, all-outputs), or a per-layer JSON/YAML file.
    public var quantize = "none"
    /// Write a full training-state checkpoint (OUTPUT/checkpoints/step-N) every N steps (0: never).
    public var checkpointEvery = 0
    /// Write a checkpoint when this many minutes have passed since the last one (0: never).
    public var checkpointMinutes: Double = 30
    /// Keep the newest K checkpoints, removing older ones.
    public var keepCheckpoints = 3
    /// Stop after this many optimizer steps in a row were skipped for a non-finite loss or gradient.
    public var maxBadSteps = 5
    /// Continue from a checkpoint: its folder, a run folder (its newest valid checkpoint), or
    /// "auto" (the newest valid checkpoint of output_dir; a fresh start when it has none).
    public var resume: String?
    /// For the generic "tsv" task: text column(s), label column, label names.
    public var textColumns: [String]?
    public var labelColumn: String?
    public var labelNames: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, task, seed, threads, epochs
        case dataDir = "data_dir", outputDir = "output_dir", maxSeqLength = "max_seq_length"
        case batchSize = "batch_size", learningRate = "learning_rate", warmupRatio = "warmup_ratio"
        case weightDecay = "weight_decay", maxGradNorm = "max_grad_norm", evalEvery = "eval_every"
        case maxSteps = "max_steps", padToMaxLength = "pad_to_max_length", evalBatchSize = "eval_batch_size"
        case logFile = "log_file", textColumns = "text_columns", labelColumn = "label_column"
        case labelNames = "label_names", quantize, checkSync = "check_sync", reductionGroups = "reduction_groups"
        case checkpointEvery = "checkpoint_every", checkpointMinutes = "checkpoint_minutes"
        case keepCheckpoints = "keep_checkpoints", maxBadSteps = "max_bad_steps", resume
    }

    /// Decodes a partial settings object: absent fields keep their defaults.
    public init(from decoder: Decoder) throws {
        self.init()
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func take<T: Decodable>(_ key: CodingKeys, _ field: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { field = v }
        }
        func takeOptional<T: Decodable>(_ key: CodingKeys, _ field: inout T?) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { field = v }
        }
        try take(.model, &model); try take(.task, &task); try takeOptional(.dataDir, &dataDir)
        try takeOptional(.outputDir, &outputDir); try take(.maxSeqLength, &maxSeqLength)
        try take(.batchSize, &batchSize); try take(.learningRate, &learningRate); try take(.epochs, &epochs)
        try take(.warmupRatio, &warmupRatio); try take(.weightDecay, &weightDecay)
        try take(.maxGradNorm, &maxGradNorm); try take(.seed, &seed); try takeOptional(.threads, &threads)
        try take(.evalEvery, &evalEvery); try takeOptional(.maxSteps, &maxSteps)
        try take(.padToMaxLength, &padToMaxLength); try take(.evalBatchSize, &evalBatchSize)
        try takeOptional(.logFile, &logFile); try takeOptional(.textColumns, &textColumns)
        try takeOptional(.labelColumn, &labelColumn); try takeOptional(.labelNames, &labelNames)
        try take(.quantize, &quantize); try take(.checkSync, &checkSync)
        try take(.reductionGroups, &reductionGroups)
        try take(.checkpointEvery, &checkpointEvery); try take(.checkpointMinutes, &checkpointMinutes)
        try take(.keepCheckpoints, &keepCheckpoints); try take(.maxBadSteps, &maxBadSteps)
        try takeOptional(.resume, &resume)
    }

    public var resolvedDataDir: String { dataDir ?? "assets/data/\(task)" }
    public var resolvedOutputDir: String { outputDir ?? "runs/\(task)" }

    /// Checks values before anything runs; the message names the field.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ message: String) throws {
            if !ok { throw SettingsError.invalid(field: field, message: message) }
        }
        try check(maxSeqLength >= 3, "max_seq_length", "must be at least 3, found \(maxSeqLength)")
        try check(batchSize >= 1, "batch_size", "must be at least 1, found \(batchSize)")
        try check(evalBatchSize >= 1, "eval_batch_size", "must be at least 1, found \(evalBatchSize)")
        try check(learningRate > 0 && learningRate.isFinite, "learning_rate", "must be positive, found \(learningRate)")
        try check(epochs > 0, "epochs", "must be positive, found \(epochs)")
        try check(warmupRatio >= 0 && warmupRatio <= 1, "warmup_ratio", "must be in [0, 1], found \(warmupRatio)")
        try check(weightDecay >= 0, "weight_decay", "must be non-negative, found \(weightDecay)")
        try check(maxGradNorm > 0, "max_grad_norm", "must be positive, found \(maxGradNorm)")
        try check(evalEvery >= 0, "eval_every", "must be non-negative, found \(evalEvery)")
        try check((maxSteps ?? 1) >= 1, "max_steps", "must be at least 1, found \(maxSteps ?? 0)")
        try check((threads ?? 1) >= 1, "threads", "must be at least 1, found \(threads ?? 0)")
        try check(checkSync >= 0, "check_sync", "must be non-negative, found \(checkSync)")
        try check(reductionGroups >= 1 && reductionGroups <= 64 && reductionGroups & (reductionGroups - 1) == 0
                  && batchSize % reductionGroups == 0, "reduction_groups",
                  "must be a power of two up to 64 that divides batch_size \(batchSize), found \(reductionGroups)")
        try check(checkpointEvery >= 0, "checkpoint_every", "must be non-negative, found \(checkpointEvery)")
        try check(checkpointMinutes >= 0 && checkpointMinutes.isFinite, "checkpoint_minutes",
                  "must be non-negative, found \(checkpointMinutes)")
        try check(keepCheckpoints >= 1, "keep_checkpoints", "must be at least 1, found \(keepCheckpoints)")
        try check(maxBadSteps >= 1, "max_bad_steps", "must be at least 1, found \(maxBadSteps)")
        try check(resume.map { !$0.isEmpty } ?? true, "resume", "must be a checkpoint folder, a run folder or auto")
    }
}

public enum SettingsError: Error, CustomStringConvertible, Equatable {
    case invalid(field: String, message: String)
    case configFile(path: String, message: String)

    public var description: String {
        switch self {
        case .invalid(let field, let message): return "\(field): \(message)"
        case .configFile(let path, let message): return "\(path): \(message)"
        }
    }
}
