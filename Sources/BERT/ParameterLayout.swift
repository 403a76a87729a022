import ModelFormat
/// The single source of truth for where every parameter lives: an ordered list of
/// (Hugging Face key, shape, offset) into one flat Float32 buffer. Parameters, gradients and
/// both AdamW moments share it, so the optimizer and the allreduce each see one contiguous
/// range. Order is the forward order (embeddings, layer 0 ... layer L-1, pooler, classifier),
/// so reverse order is the order in which backward finishes gradients.
public struct ParameterLayout: Sendable {
    public struct Entry: Sendable, Equatable {
        /// Key as in `BertForSequenceClassification`'s state dict, e.g.
        /// "bert.encoder.layer.3.attention.self.query.weight" or "classifier.bias".
        public let name: String
        public let shape: [Int]
        /// Offset in floats from the start of the flat buffer.
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
        /// AdamW decays every weight except biases and LayerNorm weights (as run_glue.py).
        public var decays: Bool { !(name.hasSuffix(".bias") || name.hasSuffix("LayerNorm.weight")) }
    }

    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    /// Total float count.
    public private(set) var count = 0

    public init() {}

    /// Appends a tensor; offsets are aligned to 16 floats (64 bytes) for the kernels.
    public mutating func append(_ name: String, _ shape: [Int]) {
        precondition(index[name] == nil, "ParameterLayout: duplicate \(name)")
        let offset = (count + 15) / 16 * 16
        let e = Entry(name: name, shape: shape, offset: offset)
        index[name] = entries.count
        entries.append(e)
        count = offset + e.count
    }

    public subscript(name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The entry for `name`, which the model built itself (a missing one is a bug).
    public func require(_ name: String) -> Entry {
        guard let e = self[name] else { preconditionFailure("ParameterLayout: no parameter \(name)") }
        return e
    }

    /// The layout of BERT plus a classification head with `numLabels` outputs.
    public static func bertForSequenceClassification(_ c: BertConfig, numLabels: Int) -> ParameterLayout {
        var l = ParameterLayout()
        let C = c.hiddenSize, I = c.intermediateSize
        l.append("bert.embeddings.word_embeddings.weight", [c.vocabSize, C])
        l.append("bert.embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, C])
        l.append("bert.embeddings.token_type_embeddings.weight", [c.typeVocabSize, C])
        l.append("bert.embeddings.LayerNorm.weight", [C])
        l.append("bert.embeddings.LayerNorm.bias", [C])
        for i in 0..<c.numHiddenLayers {
            let p = "bert.encoder.layer.\(i)."
            for name in ["query", "key", "value"] {
                l.append(p + "attention.self.\(name).weight", [C, C])
                l.append(p + "attention.self.\(name).bias", [C])
            }
            l.append(p + "attention.output.dense.weight", [C, C])
            l.append(p + "attention.output.dense.bias", [C])
            l.append(p + "attention.output.LayerNorm.weight", [C])
            l.append(p + "attention.output.LayerNorm.bias", [C])
            l.append(p + "intermediate.dense.weight", [I, C])
            l.append(p + "intermediate.dense.bias", [I])
            l.append(p + "output.dense.weight", [C, I])
            l.append(p + "output.dense.bias", [C])
            l.append(p + "output.LayerNorm.weight", [C])
            l.append(p + "output.LayerNorm.bias", [C])
        }
        l.append("bert.pooler.dense.weight", [C, C])
        l.append("bert.pooler.dense.bias", [C])
        l.append("classifier.weight", [numLabels, C])
        l.append("classifier.bias", [numLabels])
        return l
    }

    /// Parameter count (without alignment padding).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }

    /// The backward layer of a layout key, in the order backward finishes them (high to low):
    /// "bert.encoder.layer.{i}." -> i, "bert.embeddings." -> -1, "bert.pooler." and
    /// "classifier." -> layerCount (the head); nil for anything else.
    public static func backwardLayer(of name: String, layerCount: Int) -> Int? {
        if let i = encoderLayer(of: name) { return i }
        if name.hasPrefix("bert.embeddings.") { return -1 }
        if name.hasPrefix("bert.pooler.") || name.hasPrefix("classifier.") { return layerCount }
        return nil
    }

    /// L, the encoder depth: the highest "bert.encoder.layer.{i}." index plus one.
    public var encoderLayerCount: Int {
        entries.compactMap { Self.encoderLayer(of: $0.name) }.max().map { $0 + 1 } ?? 0
    }

    private static func encoderLayer(of name: String) -> Int? {
        let prefix = "bert.encoder.layer."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0 else { return nil }
        return i
    }
}
