/// "stopped": the run ended before its last step, after `step`: too many bad steps in a row,
/// or a signal (then with the checkpoint written to continue from).
public struct StoppedRecord: RunLogRecord, Equatable {
    public static let type = "stopped"

    public var step: Int
    /// Why, e.g. "signal SIGTERM" or the bad-step guard's message.
    public var reason: String?
    /// The training-state checkpoint of `step`, when one was written for the stop.
    public var checkpoint: String?

    public init(step: Int, reason: String, checkpoint: String? = nil) {
        self.step = step; self.reason = reason; self.checkpoint = checkpoint
    }
}
