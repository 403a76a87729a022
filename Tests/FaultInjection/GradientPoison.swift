import BERT
import Training

/// A fault for tests: writes a NaN (or an infinity) into one parameter's gradient on chosen
/// ranks at chosen steps, through the trainer's gradient inspector (after backward, before
/// the reduction), to test the handling of non-finite steps end to end. As text (the
/// harness's `train --poison`): "steps=3-4,tensor=classifier.weight,rank=1,value=inf".
///
/// steps: one step or a range, numbered as in the log (1-based); tensor: a layout key
/// (default classifier.weight); rank: one rank (default every rank); value: nan (default) or inf.
public struct GradientPoison: Sendable, Equatable, CustomStringConvertible {
    public var steps: ClosedRange<Int>
    public var tensor = "classifier.weight"
    public var rank: Int?
    public var value = Float.nan

    public init(steps: ClosedRange<Int>, tensor: String = "classifier.weight", rank: Int? = nil, value: Float = .nan) {
        self.steps = steps; self.tensor = tensor; self.rank = rank; self.value = value
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.steps == b.steps && a.tensor == b.tensor && a.rank == b.rank && a.value.bitPattern == b.value.bitPattern
    }

    /// The text `parse` reads.
    public var description: String {
        let range = steps.count == 1 ? "\(steps.lowerBound)" : "\(steps.lowerBound)-\(steps.upperBound)"
        return "steps=\(range),tensor=\(tensor)" + (rank.map { ",rank=\($0)" } ?? "") + (value.isNaN ? "" : ",value=inf")
    }

    public struct SpecError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws -> GradientPoison {
        func bad(_ message: String) -> SpecError { SpecError(description: "gradient poison \"\(text)\": \(message)") }
        var poison = GradientPoison(steps: 0...0)
        var sawSteps = false
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw bad("expected key=value, found \"\(item)\"") }
            switch pair[0] {
            case "steps":
                let bounds = pair[1].split(separator: "-").compactMap { Int($0) }
                guard (1...2).contains(bounds.count), bounds[0] >= 1, bounds.last! >= bounds[0] else {
                    throw bad("steps: expected N or A-B (1-based), found \"\(pair[1])\"")
                }
                poison.steps = bounds[0]...bounds.last!
                sawSteps = true
            case "tensor": poison.tensor = pair[1]
            case "rank":
                guard let r = Int(pair[1]), r >= 0 else { throw bad("rank: expected a rank number, found \"\(pair[1])\"") }
                poison.rank = r
            case "value":
                switch pair[1] {
                case "nan": poison.value = .nan
                case "inf": poison.value = .infinity
                default: throw bad("value: expected nan or inf, found \"\(pair[1])\"")
                }
            default: throw bad("unknown key \"\(pair[0])\" (steps, tensor, rank, value)")
            }
        }
        guard sawSteps else { throw bad("steps=... is required") }
        return poison
    }

    /// Whether it poisons `rank`'s gradient at `step` (1-based).
    public func applies(step: Int, rank: Int) -> Bool { steps.contains(step) && (self.rank ?? rank) == rank }

    /// The inspector: poisons the tensor's first gradient value when it applies.
    public func inspect(_ gradients: StepGradients) {
        guard applies(step: gradients.step, rank: gradients.rank), let gradient = gradients.gradient(tensor) else { return }
        gradient[0] = value
    }

    /// Makes `trainer` poison its gradients; throws when the model has no such tensor.
    public func install(on trainer: Trainer) throws {
        guard trainer.model.layout[tensor] != nil else {
            throw SpecError(description: "gradient poison: the model has no parameter \"\(tensor)\"")
        }
        trainer.gradientInspector = inspect
    }
}
