/// "resume": a run continued from a training-state checkpoint, at `step`, with the settings
/// of this process (`Settings` as in `ConfigRecord`).
public struct ResumeRecord<Settings: Codable & Sendable>: RunLogRecord {
    public static var type: String { "resume" }

    /// The checkpoint folder.
    public var checkpoint: String?
    /// The step the run continues after (the checkpoint's).
    public var step: Int
    public var settings: Settings?
    public var totalSteps: Int?
    public var threads: Int?
    public var worldSize: Int?

    public init(checkpoint: String, step: Int, settings: Settings, totalSteps: Int, threads: Int, worldSize: Int) {
        self.checkpoint = checkpoint; self.step = step; self.settings = settings
        self.totalSteps = totalSteps; self.threads = threads; self.worldSize = worldSize
    }

    enum CodingKeys: String, CodingKey {
        case checkpoint, step, settings, threads
        case totalSteps = "total_steps", worldSize = "world_size"
    }
}

extension ResumeRecord: Equatable where Settings: Equatable {}
