import BERT
import Foundation
import ModelFormat

/// The trainer's scalar state at the end of a step: with the tensors of the checkpoint
/// (parameters, AdamW moments, Q8BERT step counters and thresholds) everything the training
/// needs to continue bit for bit. Stored as trainer_state.json (snake_case keys).
///
/// Random state: there is none to save beyond `settings.seed`, `step` and `epoch`. Dropout
/// masks are hashed from (seed, step, site, example index, position), the sampler's order
/// from (seed, epoch), and the classifier's initialization (seed) is replaced by the saved
/// parameters; no generator carries state from one step to the next.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Steps done (skipped ones included): the next step is `step`, dropout keys use it.
    public var step: Int
    /// The epoch of the next step and its index within that epoch (step = epoch *
    /// steps_per_epoch + step_in_epoch); the sampler's order of an epoch is a function of
    /// (seed, epoch).
    public var epoch: Int
    public var stepInEpoch: Int
    public var stepsPerEpoch: Int
    /// AdamW's update count t (the bias corrections): `step` minus the skipped steps.
    public var optimizerStep: Int
    /// The run config the checkpoint was written with.
    public var settings: TrainingSettings
    /// The resolved Q8BERT recipe (nil for FP32 training).
    public var quantization: QuantizationConfig?
    /// Which training data it was trained on.
    public var trainingData: DataFingerprint
    /// The best dev result so far (OUTPUT/best holds that model; the checkpoint's best/ a copy).
    public var best: BestResult?
    /// The step of the last dev evaluation (-1: none yet).
    public var lastEvalStep: Int
    /// Steps skipped for a non-finite loss or gradient: in a row at this point, and in all.
    public var consecutiveBadSteps: Int
    public var skippedSteps: Int
    /// The first bad step of the streak in progress, described (nil: none).
    public var badStreakStart: String?
    /// For the progress line and the summary: the smoothed loss, training seconds and
    /// sequences so far.
    public var smoothedLoss: Double
    public var trainSeconds: Double
    public var sequences: Int
    /// The length of OUTPUT/log.jsonl when the checkpoint was written: a resumed run cuts
    /// the log back to it, so that the log tells one history.
    public var logBytes: UInt64
    /// Ranks and threads per rank that wrote it (informational: both may change on resume).
    public var worldSize: Int
    public var threads: Int

    public struct DataFingerprint: Codable, Equatable, Sendable {
        public var examples: Int
        /// SHA-256 of the tokenized training set (ids, segments, boundaries, labels, targets).
        public var sha256: String
    }

    public struct BestResult: Codable, Equatable, Sendable {
        public var step: Int
        public var scores: [String: Double]
        public var main: String
        public var asScores: Scores { Scores(values: scores, main: main) }
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, settings, quantization, best, sequences, threads
        case stepInEpoch = "step_in_epoch", stepsPerEpoch = "steps_per_epoch", optimizerStep = "optimizer_step"
        case trainingData = "training_data", lastEvalStep = "last_eval_step"
        case consecutiveBadSteps = "consecutive_bad_steps", skippedSteps = "skipped_steps"
        case badStreakStart = "bad_streak_start"
        case smoothedLoss = "smoothed_loss", trainSeconds = "train_seconds", logBytes = "log_bytes"
        case worldSize = "world_size"
    }

    /// JSON with sorted keys; NaN and infinities (a metric can be undefined) as strings.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}

extension TrainerState.DataFingerprint {
    /// The fingerprint of a tokenized training set.
    public init(_ data: EncodedDataset) {
        var h = SHA256()
        func add<T>(_ values: [T]) { values.withUnsafeBytes { h.update($0) } }
        add([Int64(data.count)])
        add(data.ids); add(data.types); add(data.offsets.map(Int64.init)); add(data.labels); add(data.targets)
        self.init(examples: data.count, sha256: h.hexDigest())
    }
}
