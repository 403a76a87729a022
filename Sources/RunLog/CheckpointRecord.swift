/// "checkpoint": a training-state checkpoint was written.
public struct CheckpointRecord: RunLogRecord, Equatable {
    public static let type = "checkpoint"

    public var step: Int
    /// The checkpoint folder.
    public var path: String?
    /// Bytes of its files, and seconds to write them.
    public var bytes: Int?
    @NonFiniteAsNull public var seconds: Double?

    public init(step: Int, path: String, bytes: Int, seconds: Double) {
        self.step = step; self.path = path; self.bytes = bytes; self.seconds = seconds
    }
}
