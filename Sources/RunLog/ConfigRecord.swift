import ModelFormat
/// "config": the first record of a run, its settings and the facts they led to. Absent when
/// a resumed run continues the log of the run it resumes (a "resume" record follows instead).
/// `Settings` is Training's `TrainingSettings` when q8train writes it; a reader of logs from
/// any version reads them as a `JSONValue`.
public struct ConfigRecord<Settings: Codable & Sendable>: RunLogRecord {
    public static var type: String { "config" }

    public var settings: Settings?
    /// Examples in the training, dev and test sets (0: no test set).
    public var trainExamples: Int?
    public var devExamples: Int?
    public var testExamples: Int?
    public var stepsPerEpoch: Int?
    /// Optimizer steps of the whole run (max_steps included) and of the warm-up.
    public var totalSteps: Int?
    public var warmupSteps: Int?
    /// Parameters of the model (floats).
    public var parameters: Int?
    /// The quantization method ("none" for FP32).
    public var quantization: String?
    /// Worker threads per rank, and ranks.
    public var threads: Int?
    public var worldSize: Int?

    public init(settings: Settings, trainExamples: Int, devExamples: Int, testExamples: Int, stepsPerEpoch: Int,
                totalSteps: Int, warmupSteps: Int, parameters: Int, quantization: String, threads: Int, worldSize: Int) {
        self.settings = settings
        self.trainExamples = trainExamples; self.devExamples = devExamples; self.testExamples = testExamples
        self.stepsPerEpoch = stepsPerEpoch; self.totalSteps = totalSteps; self.warmupSteps = warmupSteps
        self.parameters = parameters; self.quantization = quantization
        self.threads = threads; self.worldSize = worldSize
    }

    enum CodingKeys: String, CodingKey {
        case settings, parameters, quantization, threads
        case trainExamples = "train_examples", devExamples = "dev_examples", testExamples = "test_examples"
        case stepsPerEpoch = "steps_per_epoch", totalSteps = "total_steps", warmupSteps = "warmup_steps"
        case worldSize = "world_size"
    }
}

extension ConfigRecord: Equatable where Settings: Equatable {}
