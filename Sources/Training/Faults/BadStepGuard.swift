import BERT
import Tensor

/// What happens to a step whose loss or reduced gradient holds a NaN or an infinity: it is
/// skipped (no optimizer update, the Q8BERT ranges it measured undone) and counted, and after
/// `limit` such steps in a row the run stops, naming the first parameter tensor whose
/// gradient went non-finite in the first step of that streak.
///
/// Every rank decides the same: the loss is the allreduced mean and the gradients are the
/// reduced ones, identical on every rank (a NaN or infinity on any rank reaches every rank's
/// sum whatever the order of the additions).
public struct BadStepGuard: Sendable {
    public let limit: Int
    /// Bad steps in a row now, and in all.
    public internal(set) var consecutive = 0
    public internal(set) var total = 0
    /// The first bad step of the current streak, described.
    public internal(set) var streakStart: String?

    public init(limit: Int, consecutive: Int = 0, total: Int = 0, streakStart: String? = nil) {
        self.limit = limit; self.consecutive = consecutive; self.total = total; self.streakStart = streakStart
    }

    /// A good step ends a streak.
    public mutating func recordGood() {
        consecutive = 0
        streakStart = nil
    }

    /// Counts a bad step (`step` as logged, 1-based); throws `tooManyBadSteps` at the limit.
    public mutating func recordBad(step: Int, loss: Float, tensor: String?) throws {
        consecutive += 1
        total += 1
        if consecutive == 1 { streakStart = Self.describe(step: step, loss: loss, tensor: tensor) }
        if consecutive >= limit {
            throw TrainingStopped.tooManyBadSteps(count: consecutive, first: streakStart ?? "?")
        }
    }

    static func describe(step: Int, loss: Float, tensor: String?) -> String {
        if let tensor { return "step \(step), gradient of \(tensor) (loss \(loss))" }
        return loss.isFinite ? "step \(step), the gradient norm overflowed (loss \(loss))" : "step \(step), loss \(loss)"
    }

    /// The first tensor, in the order backward finishes them (head first), whose gradient
    /// holds a NaN or an infinity; nil when all are finite.
    public static func firstNonFiniteGradient(_ gradients: FloatBuffer, layout: ParameterLayout) -> String? {
        layout.entries.reversed().first { !maxAbs(gradients.pointer + $0.offset, count: $0.count).isFinite }?.name
    }
}

/// Why a run stopped before its end.
public enum TrainingStopped: Error, CustomStringConvertible, Equatable {
    case tooManyBadSteps(count: Int, first: String)

    public var description: String {
        switch self {
        case .tooManyBadSteps(let count, let first):
            return "stopping: \(count) steps in a row had a NaN or infinite loss or gradient (--max-bad-steps); "
                + "the first: \(first)"
        }
    }
}
