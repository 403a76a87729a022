import Foundation
import ModelFormat

/// A Linear layer as the ONNX graph needs it. y = x W^T + b, W [out, in].
enum LinearWeights {
    /// FP32 weight [out, in] and bias [out].
    case float(weight: [Float], bias: [Float], out: Int, in: Int)
    /// Q8BERT with frozen thresholds (`Int8Format`'s "quantized linear (ema)").
    case quantized(QuantizedLinear)

    var isQuantized: Bool { if case .quantized = self { return true } else { return false } }
}

/// A Linear exported by `Int8Exporter`: what the runtime computes,
/// y = (q(x) q(W)^T + q32(b)) / (S_x S_w), optionally requantized at S_y.
struct QuantizedLinear {
    /// q(W) [out, in], values in [-127, 127].
    var weight: [Int8]
    var out: Int, `in`: Int
    /// S_w = 127 / max|W|: a weight value is q / S_w.
    var weightScale: Float
    /// The frozen EMA threshold of the input: S_x = 127 / inputThreshold.
    var inputThreshold: Float
    /// q32(b) [out] at scale S_x S_w.
    var bias: [Int32]
    /// The output's threshold when the layer requantizes its output.
    var outputThreshold: Float?
}

/// An embedding table [rows, dim].
enum EmbeddingWeights {
    case float([Float], rows: Int, dim: Int)
    /// Int8 values; a value is q / scale.
    case quantized([Int8], rows: Int, dim: Int, scale: Float)

    var isQuantized: Bool { if case .quantized = self { return true } else { return false } }
}

/// A LayerNorm's gamma and beta [dim].
struct NormWeights {
    var weight: [Float], bias: [Float]
}

/// One post-LayerNorm encoder layer.
struct EncoderLayerWeights {
    var query, key, value, attentionOutput: LinearWeights
    var attentionNorm: NormWeights
    var intermediate, output: LinearWeights
    var outputNorm: NormWeights
}

/// Where the exporter reads a model's weights from: an int8 folder or an FP32 checkpoint.
/// Module names are Hugging Face's ("bert.encoder.layer.0.attention.self.query").
protocol WeightSource {
    var path: String { get }
    func linear(_ module: String, out: Int, in: Int) throws -> LinearWeights
    func embedding(_ module: String, rows: Int, dim: Int) throws -> EmbeddingWeights
    func norm(_ module: String, dim: Int) throws -> NormWeights
}

/// Everything of a BertForSequenceClassification the graph needs.
struct BertWeights {
    var config: BertConfig
    var numLabels: Int
    var word, position, tokenType: EmbeddingWeights
    var embeddingNorm: NormWeights
    var layers: [EncoderLayerWeights]
    var pooler, classifier: LinearWeights

    /// Reads every module of `config`'s shape from `source`.
    init(config c: BertConfig, numLabels: Int, source s: WeightSource) throws {
        config = c
        self.numLabels = numLabels
        let H = c.hiddenSize, I = c.intermediateSize
        word = try s.embedding("bert.embeddings.word_embeddings", rows: c.vocabSize, dim: H)
        position = try s.embedding("bert.embeddings.position_embeddings", rows: c.maxPositionEmbeddings, dim: H)
        tokenType = try s.embedding("bert.embeddings.token_type_embeddings", rows: c.typeVocabSize, dim: H)
        embeddingNorm = try s.norm("bert.embeddings.LayerNorm", dim: H)
        layers = try (0..<c.numHiddenLayers).map { l in
            let p = "bert.encoder.layer.\(l)."
            return EncoderLayerWeights(
                query: try s.linear(p + "attention.self.query", out: H, in: H),
                key: try s.linear(p + "attention.self.key", out: H, in: H),
                value: try s.linear(p + "attention.self.value", out: H, in: H),
                attentionOutput: try s.linear(p + "attention.output.dense", out: H, in: H),
                attentionNorm: try s.norm(p + "attention.output.LayerNorm", dim: H),
                intermediate: try s.linear(p + "intermediate.dense", out: I, in: H),
                output: try s.linear(p + "output.dense", out: H, in: I),
                outputNorm: try s.norm(p + "output.LayerNorm", dim: H))
        }
        pooler = try s.linear("bert.pooler.dense", out: H, in: H)
        classifier = try s.linear("classifier", out: numLabels, in: H)
    }

    var allLinears: [LinearWeights] {
        layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.intermediate, $0.output] } + [pooler, classifier]
    }
}
