/// The named recipes of `--quantize`. Provenance and the ablation that chose the default:
/// docs/quantization.md.
extension QuantizationConfig {
    /// The recipe Q8BERT's authors ran and shipped: nlp-architect commit 654ecd3 (2019-08-08,
    /// "quantized bert for glue tasks") added it as
    /// `nlp_architect/procedures/transformers/config/bert-base-uncased.json`, which
    /// `quantized_bert.py` loads by default (shipped here unchanged as
    /// configs/quant/nlp-architect-bert-base-uncased.json). Every Embedding and Linear in `ema`
    /// mode, 8 bits, decay 0.9999, from step 0, outputs not requantized, except: the attention
    /// query and key requantize their outputs, the classifier ("head") starts at step 200, and
    /// the token-type embeddings stay FP32.
    public static let q8bertPaper = QuantizationConfig(
        method: "q8bert-paper", defaults: LayerQuantization(requantizeOutput: false),
        layers: ["*.attention.self.query": .init(requantizeOutput: true),
                 "*.attention.self.key": .init(requantizeOutput: true),
                 "classifier": .init(startStep: 200),
                 "bert.embeddings.token_type_embeddings": .init(mode: QuantizationMode.none)])

    /// The defaults of nlp-architect's config classes (`QuantizationConfig.ATTRIBUTES`, with
    /// mode `ema` for every layer): every Embedding and Linear, 8 bits, decay 0.9999, every
    /// output requantized, from step 0. The authors did not train with it; it freezes a fresh
    /// classifier's output range from the first batches (docs/quantization.md).
    public static let allOutputs = QuantizationConfig(method: "all-outputs", defaults: LayerQuantization())

    /// Our recipe: every Embedding and Linear in `ema` mode, 8 bits, decay 0.9999, from step 0,
    /// no output requantized. Every Linear still runs on 8-bit inputs and weights (the integer
    /// runtime quantizes each input with its EMA threshold).
    public static let q8bert = QuantizationConfig(
        method: "q8bert", defaults: LayerQuantization(requantizeOutput: false))

    /// Post-training dynamic quantization (the paper's DQ column, nlp-architect's `dynamic`
    /// mode with its defaults): 8-bit weights, every Linear's input and output quantized with
    /// the current batch's max|x|.
    public static let dynamic = QuantizationConfig(
        method: "dynamic", defaults: LayerQuantization(mode: .dynamic, requantizeOutput: true))

    /// The preset names `--quantize` accepts (besides none and a file).
    public static let presetNames = ["q8bert", "q8bert-paper", "all-outputs", "dynamic"]

    /// A preset by name.
    public static func preset(_ name: String) throws -> QuantizationConfig {
        switch name {
        case "q8bert": return .q8bert
        case "q8bert-paper": return .q8bertPaper
        case "all-outputs": return .allOutputs
        case "dynamic": return .dynamic
        default: throw QuantizationError.unknownPreset(name)
        }
    }
}
