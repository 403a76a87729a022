import ArgumentParser
import Tensor

/// A dataset split that can be evaluated (`q8train eval --split`).
public enum EvaluationSplit: String, CaseIterable, ExpressibleByArgument, Sendable {
    case dev, test
}

/// Which checkpoint of a run (`q8train export --checkpoint`).
public enum RunCheckpoint: String, CaseIterable, ExpressibleByArgument, Sendable {
    case best, final
}

/// Post-training quantization of an FP32 checkpoint (`eval` and `export --quantize`): none (as
/// saved), or dynamic (8-bit weights, activation ranges from each batch).
public enum PostTrainingQuantization: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none, dynamic
}

extension InstructionSet: ExpressibleByArgument {
    /// baseline, avx2 or avx512 (as Q8_MAX_ISA).
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}
