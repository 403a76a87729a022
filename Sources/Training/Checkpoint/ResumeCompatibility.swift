import BERT
import Foundation
import ModelFormat

/// Which settings may change when a run resumes from a checkpoint, and the check of those
/// that may not. Every setting is in exactly one list (a test holds new settings to that).
///
/// Fixed: what defines the model, the data order, the learning-rate schedule and the
/// arithmetic. May change: how the run is executed (threads, ranks, logging), how often it
/// evaluates, checks and checkpoints, and where it stops. Changing the threads (without
/// --reduction-groups), the number of ranks or --sparse-embeddings (without
/// --reduction-groups) continues correctly but not bit for bit.
public enum ResumeCompatibility {
    /// Settings that must equal the checkpoint's, by field name, as text.
    static let fixed: [(field: String, value: (TrainingSettings) -> String)] = [
        ("model", { $0.model }),
        ("task", { $0.task }),
        ("max_seq_length", { "\($0.maxSeqLength)" }),
        ("batch_size", { "\($0.batchSize)" }),
        ("learning_rate", { "\($0.learningRate)" }),
        ("epochs", { "\($0.epochs)" }),
        ("warmup_ratio", { "\($0.warmupRatio)" }),
        ("weight_decay", { "\($0.weightDecay)" }),
        ("max_grad_norm", { "\($0.maxGradNorm)" }),
        ("seed", { "\($0.seed)" }),
        ("pad_to_max_length", { "\($0.padToMaxLength)" }),
        ("reduction_groups", { "\($0.reductionGroups)" }),
        ("qat_gemm", { $0.qatGemm }),
        ("text_columns", { $0.textColumns.map { "\($0)" } ?? "none" }),
        ("label_column", { $0.labelColumn ?? "none" }),
        ("label_names", { $0.labelNames.map { "\($0)" } ?? "none" }),
    ]

    /// Settings checked otherwise: `quantize` by the recipe it resolves to (a file may move),
    /// `data_dir` by the training data's fingerprint (a folder may move).
    static let checkedByContent = ["quantize", "data_dir"]

    /// Settings that may differ.
    static let free = ["output_dir", "threads", "eval_every", "max_steps", "eval_batch_size", "log_file", "check_sync",
                       "checkpoint_every", "checkpoint_minutes", "keep_checkpoints", "max_bad_steps", "resume",
                       "sparse_embeddings"]

    /// Throws `settingMismatch` naming the first setting that must not change but did.
    /// `layers`: the quantizable layers, whose effective Q8BERT settings are compared.
    public static func check(_ state: TrainerState, settings: TrainingSettings, quantization: QuantizationConfig?,
                             layers: [String], trainingData: TrainerState.DataFingerprint) throws {
        for (field, value) in fixed where value(state.settings) != value(settings) {
            throw TrainingCheckpointError.settingMismatch(field: field, checkpoint: value(state.settings), run: value(settings))
        }
        let differing = layers.first { state.quantization?.settings(for: $0) != quantization?.settings(for: $0) }
        if let layer = differing {
            func describe(_ q: QuantizationConfig?, _ source: String) -> String {
                guard let s = q?.settings(for: layer) else { return "none" }
                return "\(source) (\(layer): \(s.mode.rawValue), \(s.bits) bits, start_step \(s.startStep), "
                    + "ema_decay \(s.emaDecay), requantize_output \(s.requantizeOutput))"
            }
            throw TrainingCheckpointError.settingMismatch(field: "quantize",
                                                          checkpoint: describe(state.quantization, state.settings.quantize),
                                                          run: describe(quantization, settings.quantize))
        }
        if state.trainingData != trainingData {
            throw TrainingCheckpointError.settingMismatch(
                field: "data_dir",
                checkpoint: "\(state.trainingData.examples) training examples (sha256 \(state.trainingData.sha256.prefix(16))...)",
                run: "\(trainingData.examples) from \(settings.resolvedDataDir) (sha256 \(trainingData.sha256.prefix(16))...)")
        }
    }
}
