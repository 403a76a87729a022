/// How a forward pass runs: training (dropout on, keyed by seed and step) or evaluation.
public struct ForwardMode: Sendable {
    public var training: Bool
    public var seed: UInt64
    public var step: Int
    public static let eval = ForwardMode(training: false, seed: 0, step: 0)
    public static func train(seed: UInt64, step: Int) -> ForwardMode {
        ForwardMode(training: true, seed: seed, step: step)
    }
}
