/// nlp-architect's quantized-BERT config file, read as it is: a Hugging Face model config
/// whose extra fields name the quantized layer kinds (`attention_query`, ..., `head`,
/// `word_embeddings`, ...), each with nlp-architect's QuantizationConfig fields (`mode`,
/// `start_step`, `ema_decay`, `requantize_output`, `weight_bits`, `activation_bits`).
/// Its defaults apply to what a file leaves out: a layer kind not listed is FP32 (mode
/// "none"), and a listed one starts from 8 bits, step 0, decay 0.9999, outputs requantized.
///
/// The model fields (hidden_size, ...) are accepted and ignored: the model folder's own
/// config.json describes the model. Any other key is an error naming the closest known one.
enum NLPArchitectConfig {
    /// nlp-architect's layer kinds and the module paths they cover. Patterns overlap only
    /// where a longer one refines a shorter one ("*.attention.output.dense" within
    /// "*.output.dense"): QuantizationConfig applies the more specific last.
    static let layerPatterns: [(key: String, pattern: String)] = [
        ("attention_query", "bert.encoder.layer.*.attention.self.query"),
        ("attention_key", "bert.encoder.layer.*.attention.self.key"),
        ("attention_value", "bert.encoder.layer.*.attention.self.value"),
        ("attention_output", "bert.encoder.layer.*.attention.output.dense"),
        ("ffn_intermediate", "bert.encoder.layer.*.intermediate.dense"),
        ("ffn_output", "bert.encoder.layer.*.output.dense"),
        ("pooler", "bert.pooler.dense"),
        ("head", "classifier"),
        ("word_embeddings", "bert.embeddings.word_embeddings"),
        ("position_embeddings", "bert.embeddings.position_embeddings"),
        ("token_type_embeddings", "bert.embeddings.token_type_embeddings"),
    ]

    /// Hugging Face BertConfig fields that may stand beside the layer kinds.
    static let modelKeys = [
        "architectures", "attention_probs_dropout_prob", "bos_token_id", "classifier_dropout", "eos_token_id",
        "finetuning_task", "gradient_checkpointing", "hidden_act", "hidden_dropout_prob", "hidden_size", "id2label",
        "initializer_range", "intermediate_size", "is_decoder", "label2id", "layer_norm_eps",
        "max_position_embeddings", "model_type", "num_attention_heads", "num_hidden_layers", "num_labels",
        "output_attentions", "output_hidden_states", "pad_token_id", "position_embedding_type", "pruned_heads",
        "torch_dtype", "torchscript", "transformers_version", "type_vocab_size", "use_cache", "vocab_size",
    ]

    /// Whether the object `decoder` reads is in this format (it names a layer kind).
    static func matches(_ decoder: Decoder) -> Bool {
        guard let c = try? decoder.container(keyedBy: AnyCodingKey.self) else { return false }
        let keys = Set(c.allKeys.map(\.stringValue))
        return layerPatterns.contains { keys.contains($0.key) }
    }

    /// One layer kind's entry, nlp-architect's field names and defaults.
    struct Entry: Decodable {
        var mode = QuantizationMode.none
        var startStep = 0
        var emaDecay = 0.9999
        var requantizeOutput = true
        var weightBits = 8
        var activationBits = 8

        enum CodingKeys: String, CodingKey, CaseIterable {
            case mode, startStep = "start_step", emaDecay = "ema_decay", requantizeOutput = "requantize_output"
            case weightBits = "weight_bits", activationBits = "activation_bits"
        }

        init() {}

        init(from decoder: Decoder) throws {
            try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            mode = try c.decodeIfPresent(QuantizationMode.self, forKey: .mode) ?? mode
            startStep = try c.decodeIfPresent(Int.self, forKey: .startStep) ?? startStep
            emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay) ?? emaDecay
            requantizeOutput = try c.decodeIfPresent(Bool.self, forKey: .requantizeOutput) ?? requantizeOutput
            weightBits = try c.decodeIfPresent(Int.self, forKey: .weightBits) ?? weightBits
            activationBits = try c.decodeIfPresent(Int.self, forKey: .activationBits) ?? activationBits
            guard weightBits == activationBits else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath + [AnyCodingKey(stringValue: "activation_bits")],
                    debugDescription: "weight_bits \(weightBits) and activation_bits \(activationBits) differ: "
                        + "q8train quantizes a layer's weights and activations to the same width"))
            }
        }

        var override: LayerQuantizationOverride {
            LayerQuantizationOverride(mode: mode, bits: weightBits, startStep: startStep, emaDecay: emaDecay,
                                      requantizeOutput: requantizeOutput)
        }
    }

    /// The per-layer config: every layer kind as a full override (the file's entry, or
    /// nlp-architect's defaults: FP32), over an FP32 default.
    static func decode(_ decoder: Decoder) throws -> QuantizationConfig {
        try rejectUnknownKeys(decoder, known: layerPatterns.map(\.key) + modelKeys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        var layers: [String: LayerQuantizationOverride] = [:]
        for (key, pattern) in layerPatterns {
            let entry = try c.decodeIfPresent(Entry.self, forKey: AnyCodingKey(stringValue: key)) ?? Entry()
            layers[pattern] = entry.override
        }
        return QuantizationConfig(method: "custom", defaults: LayerQuantization(mode: .none), layers: layers)
    }
}
