import Foundation

/// The fields of a Hugging Face BERT config.json that shape the model. CodingKeys are the
/// config.json names. Loading is strict: a missing field is an error naming it.
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var hiddenDropoutProb: Float
    public var attentionProbsDropoutProb: Float
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var initializerRange: Float
    /// The [PAD] id; its word embedding gets no gradient (nn.Embedding's padding_idx).
    public var padTokenId: Int
    /// Classifier labels by id, as `id2label` ({"0": "negative", ...}); nil for a base model.
    public var id2label: [String: String]?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size", hiddenAct = "hidden_act"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", initializerRange = "initializer_range", padTokenId = "pad_token_id"
        case id2label
    }

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                intermediateSize: Int, hiddenAct: String = "gelu", hiddenDropoutProb: Float = 0.1,
                attentionProbsDropoutProb: Float = 0.1, maxPositionEmbeddings: Int = 512,
                typeVocabSize: Int = 2, layerNormEps: Float = 1e-12, initializerRange: Float = 0.02,
                padTokenId: Int = 0, id2label: [String: String]? = nil) {
        self.padTokenId = padTokenId
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers; self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize; self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps; self.initializerRange = initializerRange
        self.id2label = id2label
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        hiddenDropoutProb = try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? 0.1
        attentionProbsDropoutProb = try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb) ?? 0.1
        maxPositionEmbeddings = try c.decode(Int.self, forKey: .maxPositionEmbeddings)
        typeVocabSize = try c.decode(Int.self, forKey: .typeVocabSize)
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? 0.02
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? 0
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
    }

    /// Reads and validates config.json.
    public static func load(from url: URL) throws -> BertConfig {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BertConfigError.unreadable(path: path)
        }
        return try decode(data, path: path)
    }

    /// Parses and validates the contents of a config.json; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> BertConfig {
        let config: BertConfig
        do {
            config = try JSONDecoder().decode(BertConfig.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw BertConfigError.missingField(path: path, field: key.stringValue)
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw BertConfigError.invalidField(path: path, field: ctx.codingPath.map(\.stringValue).joined(separator: "."),
                                               reason: "expected \(type)")
        } catch let DecodingError.valueNotFound(type, ctx) {
            throw BertConfigError.invalidField(path: path, field: ctx.codingPath.map(\.stringValue).joined(separator: "."),
                                               reason: "expected \(type), found null")
        } catch {
            throw BertConfigError.notJSON(path: path, detail: "\(error)")
        }
        try config.validate(path: path)
        return config
    }

    /// Checks the values make a BERT we can run.
    public func validate(path: String = "config") throws {
        func positive(_ v: Int, _ name: String) throws {
            if v <= 0 { throw BertConfigError.invalidField(path: path, field: name, reason: "must be positive, found \(v)") }
        }
        try positive(vocabSize, "vocab_size"); try positive(hiddenSize, "hidden_size")
        try positive(numHiddenLayers, "num_hidden_layers"); try positive(numAttentionHeads, "num_attention_heads")
        try positive(intermediateSize, "intermediate_size"); try positive(maxPositionEmbeddings, "max_position_embeddings")
        try positive(typeVocabSize, "type_vocab_size")
        if hiddenSize % numAttentionHeads != 0 {
            throw BertConfigError.invalidField(path: path, field: "hidden_size",
                reason: "\(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        if hiddenAct != "gelu" {
            throw BertConfigError.invalidField(path: path, field: "hidden_act",
                reason: "only \"gelu\" (exact erf form) is supported, found \"\(hiddenAct)\"")
        }
        for (name, p) in [("hidden_dropout_prob", hiddenDropoutProb), ("attention_probs_dropout_prob", attentionProbsDropoutProb)]
        where !(p >= 0 && p < 1) {
            throw BertConfigError.invalidField(path: path, field: name, reason: "must be in [0, 1), found \(p)")
        }
    }

    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Label names ordered by id, from `id2label`; nil if absent or not 0..<n.
    public var labelNames: [String]? {
        guard let id2label, !id2label.isEmpty else { return nil }
        var names = [String]()
        for i in 0..<id2label.count {
            guard let name = id2label[String(i)] else { return nil }
            names.append(name)
        }
        return names
    }
}

public enum BertConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case notJSON(path: String, detail: String)
    case missingField(path: String, field: String)
    case invalidField(path: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "\(path): cannot read the file"
        case .notJSON(let path, let detail): return "\(path): not a valid config JSON object (\(detail))"
        case .missingField(let path, let field): return "\(path): missing field \"\(field)\""
        case .invalidField(let path, let field, let reason): return "\(path): field \"\(field)\": \(reason)"
        }
    }
}
