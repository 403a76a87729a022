/// Linear warm-up from 0 to `peak` over `warmupSteps`, then linear decay to 0 at
/// `totalSteps` (transformers' get_linear_schedule_with_warmup). `rate(at: s)` is the rate
/// of update s (0-based), as the scheduler's value before its s-th step.
public struct LinearWarmupSchedule: Sendable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Float, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step) / Float(max(1, warmupSteps)) }
        let remaining = Float(max(0, totalSteps - step)), span = Float(max(1, totalSteps - warmupSteps))
        return peak * max(0, remaining / span)
    }
}
