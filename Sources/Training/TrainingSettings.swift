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
    /// Data parallel: the word-embedding gradient is exchanged by rows (the union of the
    /// rows the ranks' token ids touched, RowSparseExchange) while that union is at most this
    /// fraction of the vocabulary; above it the step exchanges the table dense. 0: always dense.
    public var sparseEmbeddings = 0.5
    /// Quantization-aware training: none, a preset (q8bert, q8bert-paper, all-outputs), or a per-layer JSON/YAML file.
    public var quantize = "none"
    /// Quantization-aware training: the quantized Linears' forward product on the int8 kernels
    /// (exact int32 sums, the same bits on every CPU) or as an FP32 GEMM of the fake-quantized
    /// values (the reference); BERT.QuantizedGemm. Also the dev evaluation's.
    public var qatGemm = QuantizedGemm.int8.rawValue
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

    /// The settings table: every field's name in config files and the log, once. Decoding
    /// (partial: absent fields keep their defaults; strict: an unknown key is an error naming
    /// the closest known one) and encoding derive from it.
    static let fields: [Field] = [
        Field("model", \.model), Field("task", \.task), Field("data_dir", \.dataDir),
        Field("output_dir", \.outputDir), Field("max_seq_length", \.maxSeqLength), Field("batch_size", \.batchSize),
        Field("learning_rate", \.learningRate), Field("epochs", \.epochs), Field("warmup_ratio", \.warmupRatio),
        Field("weight_decay", \.weightDecay), Field("max_grad_norm", \.maxGradNorm), Field("seed", \.seed),
        Field("threads", \.threads), Field("eval_every", \.evalEvery), Field("max_steps", \.maxSteps),
        Field("pad_to_max_length", \.padToMaxLength), Field("eval_batch_size", \.evalBatchSize),
        Field("log_file", \.logFile), Field("check_sync", \.checkSync), Field("reduction_groups", \.reductionGroups),
        Field("sparse_embeddings", \.sparseEmbeddings),
        Field("quantize", \.quantize), Field("qat_gemm", \.qatGemm), Field("checkpoint_every", \.checkpointEvery),
        Field("checkpoint_minutes", \.checkpointMinutes), Field("keep_checkpoints", \.keepCheckpoints),
        Field("max_bad_steps", \.maxBadSteps), Field("resume", \.resume), Field("text_columns", \.textColumns),
        Field("label_column", \.labelColumn), Field("label_names", \.labelNames),
    ]

    /// Decodes a partial settings object: absent fields keep their defaults.
    public init(from decoder: Decoder) throws {
        self.init()
        try rejectUnknownKeys(decoder, known: Self.fields.map(\.name))
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        for field in Self.fields { try field.decode(c, &self) }
    }

    /// Every field, optional ones only when set (as a synthesized encoder writes them).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        for field in Self.fields { try field.encode(self, &c) }
    }

    /// One row of the table: a name and the field it reads and writes.
    struct Field: Sendable {
        let name: String
        let decode: @Sendable (KeyedDecodingContainer<AnyCodingKey>, inout TrainingSettings) throws -> Void
        let encode: @Sendable (TrainingSettings, inout KeyedEncodingContainer<AnyCodingKey>) throws -> Void

        init<T: Codable>(_ name: String, _ path: WritableKeyPath<TrainingSettings, T> & Sendable) {
            let key = AnyCodingKey(stringValue: name)
            self.name = name
            decode = { c, s in if let v = try c.decodeIfPresent(T.self, forKey: key) { s[keyPath: path] = v } }
            encode = { s, c in try c.encode(s[keyPath: path], forKey: key) }
        }

        init<T: Codable>(_ name: String, _ path: WritableKeyPath<TrainingSettings, T?> & Sendable) {
            let key = AnyCodingKey(stringValue: name)
            self.name = name
            decode = { c, s in if let v = try c.decodeIfPresent(T.self, forKey: key) { s[keyPath: path] = v } }
            encode = { s, c in try c.encodeIfPresent(s[keyPath: path], forKey: key) }
        }
    }

    public var resolvedDataDir: String { dataDir ?? "assets/data/\(task)" }
    public var resolvedOutputDir: String { outputDir ?? "runs/\(task)" }
    /// `qat_gemm` as its enum (validate() has checked it; int8 before that).
    public var resolvedQATGemm: QuantizedGemm { QuantizedGemm(rawValue: qatGemm) ?? .int8 }

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
        try check(sparseEmbeddings >= 0 && sparseEmbeddings <= 1, "sparse_embeddings",
                  "must be a fraction of the vocabulary in [0, 1], found \(sparseEmbeddings)")
        try check(QuantizedGemm(rawValue: qatGemm) != nil, "qat_gemm",
                  "must be \(QuantizedGemm.allCases.map(\.rawValue).joined(separator: " or ")), found \(qatGemm)")
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
