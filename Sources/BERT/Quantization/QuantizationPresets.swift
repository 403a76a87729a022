/// The named recipes of `--quantize`.
extension QuantizationConfig {
    /// The paper's defaults (and nlp-architect's): every Embedding and Linear in `ema` mode,
    /// 8 bits, decay 0.9999, outputs requantized, from step 0.
    public static let q8bertPaper = QuantizationConfig(method: "q8bert-paper", defaults: LayerQuantization())

    /// Our recommended recipe for small BERTs (see docs/quantization.md for the ablation):
    /// the paper's method without requantizing Linear outputs. Every Linear still runs on
    /// 8-bit inputs and weights (the integer runtime quantizes each input with its EMA
    /// threshold), but no output range is frozen from the first batches of a fresh head.
    public static let q8bert = QuantizationConfig(
        method: "q8bert", defaults: LayerQuantization(requantizeOutput: false))

    /// Post-training dynamic quantization (the paper's DQ column, nlp-architect's `dynamic`
    /// mode with its defaults): 8-bit weights, every Linear's input and output quantized with
    /// the current batch's max|x|.
    public static let dynamic = QuantizationConfig(
        method: "dynamic", defaults: LayerQuantization(mode: .dynamic, requantizeOutput: true))

    /// A preset by name.
    public static func preset(_ name: String) throws -> QuantizationConfig {
        switch name {
        case "q8bert-paper": return .q8bertPaper
        case "q8bert": return .q8bert
        case "dynamic": return .dynamic
        default: throw QuantizationError.unknownPreset(name)
        }
    }
}
