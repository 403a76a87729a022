import BERT
import Dist
import Foundation

/// TEST HOOK, not a feature: writes a NaN (or an infinity) into one parameter's gradient on
/// chosen ranks at chosen steps, after backward has finished that layer and before the
/// gradient is reduced, to test the handling of non-finite steps end to end. Set by the
/// environment variable `Q8TRAIN_TEST_POISON_GRADIENT`, e.g.
///
///     Q8TRAIN_TEST_POISON_GRADIENT="steps=3-4,tensor=classifier.weight,rank=1,value=inf"
///
/// steps: one step or a range, numbered as in the log (1-based); tensor: a layout key
/// (default classifier.weight); rank: one rank (default every rank); value: nan (default) or inf.
public struct GradientPoisonTestHook: Sendable, Equatable {
    public static let environmentVariable = "Q8TRAIN_TEST_POISON_GRADIENT"

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

    /// The hook the environment asks for, if any.
    public static func fromEnvironment() throws -> GradientPoisonTestHook? {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else { return nil }
        return try parse(text)
    }

    public static func parse(_ text: String) throws -> GradientPoisonTestHook {
        func bad(_ message: String) -> SettingsError { .invalid(field: environmentVariable, message: message) }
        var hook = GradientPoisonTestHook(steps: 0...0)
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
                hook.steps = bounds[0]...bounds.last!
                sawSteps = true
            case "tensor": hook.tensor = pair[1]
            case "rank":
                guard let r = Int(pair[1]), r >= 0 else { throw bad("rank: expected a rank number, found \"\(pair[1])\"") }
                hook.rank = r
            case "value":
                switch pair[1] {
                case "nan": hook.value = .nan
                case "inf": hook.value = .infinity
                default: throw bad("value: expected nan or inf, found \"\(pair[1])\"")
                }
            default: throw bad("unknown key \"\(pair[0])\" (steps, tensor, rank, value)")
            }
        }
        guard sawSteps else { throw bad("steps=... is required") }
        return hook
    }

    /// Checks the tensor exists in the model.
    public func validate(layout: ParameterLayout) throws {
        guard layout[tensor] != nil else {
            throw SettingsError.invalid(field: Self.environmentVariable, message: "tensor: no parameter \"\(tensor)\"")
        }
    }

    /// Whether it poisons this rank's gradient at `step` (1-based).
    public func applies(step: Int, rank: Int) -> Bool { steps.contains(step) && (self.rank ?? rank) == rank }

    /// Poisons the tensor's first gradient value if `layer` (as reported by backward's
    /// `layerDone`: L the head, ..., 0, -1 the embeddings) is the tensor's layer.
    public func poison(_ model: BertForSequenceClassification, afterLayerDone layer: Int) {
        guard ParameterLayout.backwardLayer(of: tensor, layerCount: model.config.numHiddenLayers) == layer,
              let gradient = model.tensor(tensor, gradient: true) else { return }
        gradient[0] = value
    }
}
