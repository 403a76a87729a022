import Foundation

/// When rank 0 writes a checkpoint: after every `everySteps`-th step, and when `minutes`
/// have passed since the last checkpoint (or the start of this process). Only rank 0 asks:
/// the other ranks never wait for a checkpoint (they meet rank 0 again in the next step's
/// collectives), so a decision from its clock alone is safe.
public struct CheckpointSchedule: Sendable {
    public let everySteps: Int
    public let minutes: Double
    var last: Date

    public init(everySteps: Int, minutes: Double, start: Date = Date()) {
        self.everySteps = everySteps
        self.minutes = minutes
        last = start
    }

    public var isEnabled: Bool { everySteps > 0 || minutes > 0 }

    /// Whether a checkpoint is due after `step` steps.
    public func isDue(step: Int, now: Date = Date()) -> Bool {
        (everySteps > 0 && step % everySteps == 0) || (minutes > 0 && now.timeIntervalSince(last) >= minutes * 60)
    }

    public mutating func written(at time: Date = Date()) { last = time }
}
