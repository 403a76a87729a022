import ModelFormat
import Runtime

/// What `GET /v1/model` returns: the model's name, task, labels, architecture, quantization
/// summary, checkpoint digest, and the serving limits.
public struct ModelInfo: Encodable, Sendable, Equatable {
    public struct Quantization: Encodable, Sendable, Equatable {
        /// The preset the model was trained with ("q8bert", "q8bert-paper", "all-outputs", "dynamic", ...).
        public var method: String
        /// Linear layers on int8 GEMMs, and left in FP32.
        public var int8Linears: Int, fp32Linears: Int
        /// True when some layer quantizes with each batch's range (results depend on the batch).
        public var dynamicRanges: Bool
        /// Bytes of model.q8.safetensors.
        public var weightBytes: Int
        /// True when served in the integer-only mode (an approximation of `q8train eval`).
        public var integerOnly: Bool

        enum CodingKeys: String, CodingKey {
            case method, int8Linears = "int8_linears", fp32Linears = "fp32_linears"
            case dynamicRanges = "dynamic_ranges", weightBytes = "weight_bytes", integerOnly = "integer_only"
        }
    }

    public struct Limits: Encodable, Sendable, Equatable {
        public var maxSeqLength: Int, maxBatch: Int, maxWaitMilliseconds: Double
        public var maxTexts: Int, maxBodyBytes: Int, maxQueue: Int

        enum CodingKeys: String, CodingKey {
            case maxSeqLength = "max_seq_length", maxBatch = "max_batch", maxWaitMilliseconds = "max_wait_ms"
            case maxTexts = "max_texts", maxBodyBytes = "max_body_bytes", maxQueue = "max_queue"
        }
    }

    public var name: String
    /// "classification" or "regression".
    public var task: String
    public var labels: [String]
    /// config.json as the model folder has it (Hugging Face names).
    public var config: BertConfig
    public var quantization: Quantization
    /// SHA-256 of model.q8.safetensors, computed at load.
    public var checkpointSHA256: String
    /// True when the folder's files matched the digests recorded at export.
    public var checksumsVerified: Bool
    public var limits: Limits

    enum CodingKeys: String, CodingKey {
        case name, task, labels, config, quantization, limits
        case checkpointSHA256 = "checkpoint_sha256", checksumsVerified = "checksums_verified"
    }

    public init(model: Int8Model, name: String, limits: Limits) {
        self.name = name
        task = model.isRegression ? "regression" : "classification"
        labels = model.labels
        config = model.config
        quantization = Quantization(method: model.method, int8Linears: model.int8LinearCount,
                                    fp32Linears: model.fp32LinearCount, dynamicRanges: model.usesDynamicRanges,
                                    weightBytes: model.weightBytes, integerOnly: model.isIntegerOnly)
        checkpointSHA256 = model.checkpointSHA256
        checksumsVerified = model.checksumsVerified
        self.limits = limits
    }
}
