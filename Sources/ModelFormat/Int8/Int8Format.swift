/// The int8 model folder that `Int8Exporter` (BERT) writes and the `Runtime` target serves.
/// quantization.json is `Int8Manifest`.
///
/// Files:
/// - `model.q8.safetensors`: the tensors below (standard safetensors dtypes: I8, I32, F32;
///   Python's `safetensors` opens it); `__metadata__` {"format": "q8train-int8", "format_version": "1"}.
/// - `quantization.json`: `format_version` 1, `method` "q8bert-symmetric-linear", `preset`, default
///   `bits`, the training `config`, and per layer its `mode` (ema / dynamic / none), `bits`,
///   `requantize_output`, thresholds and scales (informational copies: the tensors are authoritative),
///   and `files` {"model.q8.safetensors": {"sha256": "<64 hex digits>", "bytes": N}, "vocab.txt": {...}}:
///   the runtime refuses a folder whose listed files differ from these (modified or damaged after
///   export). `files` is optional (exports made before it existed load unchecked; format_version
///   stays 1); when present it must list model.q8.safetensors.
/// - `task.json` (TaskDefinition, when the checkpoint folder recorded its task; listed in `files`).
///   quantization.json and task.json are read strictly: unknown keys are errors.
/// - `config.json` (Hugging Face BERT config with `id2label`), `labels.txt` (one label per line, by
///   id), `vocab.txt` (one token per line: exactly config.json's `vocab_size` of them, the row count
///   of the word-embedding table), `tokenizer_config.json` (`do_lower_case`).
///
/// Tensors, with M = 2^(bits-1) - 1 (127) and scale S = M / threshold (0 when the threshold is 0):
/// - Linear quantized with frozen (EMA) activation thresholds, for `<L>` the module path
///   ("bert.encoder.layer.0.attention.self.query", ..., "bert.pooler.dense", "classifier"):
///   `<L>.quantized_weight` I8 [out, in] = clamp(round_half_even(W S_w), -M, M), S_w = M / max|W|;
///   `<L>.weight_scale` F32 [1] = S_w; `<L>.input_thresh` F32 [1] (S_x = M / input_thresh);
///   `<L>.quantized_bias` I32 [out] = clamp(round_half_even(b (S_x S_w)), +-(2^31 - 1)), the product
///   S_x S_w computed in float; `<L>.output_thresh` F32 [1] only when the layer requantizes its output.
///   y = (q(x) q(W)^T + q32(b)) * (1 / (S_x S_w)), then y = clamp(round(y S_y), -M, M) / S_y when
///   requantizing.
/// - Linear in dynamic mode (S_x from each batch's max|x|, so the int32 bias cannot be frozen):
///   `<L>.quantized_weight`, `<L>.weight_scale` as above and `<L>.bias` F32 [out]; the runtime
///   quantizes the bias per batch exactly as above. No thresholds (the output one, when
///   requantizing, is also the batch's max).
/// - Linear in mode none: `<L>.weight` F32 [out, in], `<L>.bias` F32 [out].
/// - Quantized embedding `<E>` ("bert.embeddings.word_embeddings", "...position_embeddings",
///   "...token_type_embeddings"): `<E>.quantized_weight` I8 [rows, hidden] and `<E>.weight_scale`
///   F32 [1]; a row dequantizes as Float(q) / S. Unquantized: `<E>.weight` F32.
/// - LayerNorms: `<N>.weight`, `<N>.bias` F32 [hidden].
public enum Int8Format {
    public static let formatName = "q8train-int8"
    public static let formatVersion = 1
    public static let method = "q8bert-symmetric-linear"
    public static let weightsFile = "model.q8.safetensors"
    public static let quantizationFile = "quantization.json"
    public static let labelsFile = "labels.txt"
    public static let configFile = "config.json"
    public static let vocabularyFile = "vocab.txt"
    public static let tokenizerConfigFile = "tokenizer_config.json"

    public static let quantizedWeight = ".quantized_weight"
    public static let quantizedBias = ".quantized_bias"
    public static let weightScale = ".weight_scale"
    public static let inputThreshold = ".input_thresh"
    public static let outputThreshold = ".output_thresh"
    public static let weight = ".weight"
    public static let bias = ".bias"

    /// The "tensors" field of quantization.json: the layout above in words, for people who
    /// open the file.
    public static let tensorDescriptions = [
        "quantized linear (ema)": "<L>.quantized_weight I8 [out,in], <L>.weight_scale F32 [1] (S_w), "
            + "<L>.input_thresh F32 [1] (S_x = M / input_thresh), <L>.quantized_bias I32 [out] "
            + "(round(b * (S_x * S_w))), <L>.output_thresh F32 [1] when requantize_output",
        "quantized linear (dynamic)": "<L>.quantized_weight I8 [out,in], <L>.weight_scale F32 [1], <L>.bias F32 [out] "
            + "(quantized per batch with that batch's S_x)",
        "fp32 linear (mode none)": "<L>.weight F32 [out,in], <L>.bias F32 [out]",
        "quantized embedding": "<E>.quantized_weight I8 [rows,hidden], <E>.weight_scale F32 [1]; value = q / scale",
        "fp32 embedding, LayerNorm": "<N>.weight F32, <N>.bias F32",
        "formulas": "M = 2^(bits-1) - 1; q = clamp(round_half_even(x * S), -M, M); "
            + "y = float(q(x) q(W)^T + q32(b)) * (1 / (S_x * S_w)); requantized y = clamp(round(y * S_y), -M, M) / S_y",
    ]

    /// The int32 bias of a Linear at scale S_x S_w, as evaluation mode computes it (in float,
    /// rounded half to even, clamped to +-(2^31 - 1)).
    @inline(__always)
    public static func quantizeBias(_ b: Float, scale: Float) -> Int32 {
        let v = (b * scale).rounded(.toNearestOrEven)
        if v.isNaN { return 0 }
        if v >= 0x1p31 { return Int32.max }
        if v <= -0x1p31 { return -Int32.max }
        return Int32(v)
    }
}
