import ModelFormat
import Tensor

extension BertForSequenceClassification {
    /// The quantizable layers in forward order: the three embeddings, then every Linear.
    public var quantizableLayerNames: [String] {
        ["bert.embeddings.word_embeddings", "bert.embeddings.position_embeddings",
         "bert.embeddings.token_type_embeddings"]
            + layers.flatMap { l in [l.query, l.key, l.value, l.attentionOutput, l.intermediate, l.output].map(\.name) }
            + [head.pooler.name, head.classifier.name]
    }

    /// Turns on Q8BERT fake quantization with per-layer settings from `config`. `reducer`
    /// combines batch maxima across ranks; `gemm`: the quantized Linears' forward kernels.
    /// Thresholds start at 0, steps at 0.
    public func enableQuantization(_ config: QuantizationConfig, reducer: RangeReducer = LocalRangeReducer(),
                                   source: String = "--quantize", gemm: QuantizedGemm = .int8) throws {
        try config.validate(layerNames: quantizableLayerNames, source: source)
        quantization = config
        linearQuantizers = []
        func attach(_ linear: inout Linear) {
            let q = LinearQuantizer(name: linear.name, settings: config.settings(for: linear.name),
                                    inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, reducer: reducer)
            q.gemm = gemm
            linear.quantizer = q
            linearQuantizers.append(q)
        }
        func embedding(_ name: String) -> EmbeddingQuantizer {
            EmbeddingQuantizer(name: "bert.embeddings." + name, settings: config.settings(for: "bert.embeddings." + name))
        }
        embeddings.wordQuantizer = embedding("word_embeddings")
        embeddings.positionQuantizer = embedding("position_embeddings")
        embeddings.tokenTypeQuantizer = embedding("token_type_embeddings")
        embeddingQuantizers = [embeddings.wordQuantizer!, embeddings.positionQuantizer!, embeddings.tokenTypeQuantizer!]
        for i in layers.indices {
            attach(&layers[i].query); attach(&layers[i].key); attach(&layers[i].value)
            attach(&layers[i].attentionOutput); attach(&layers[i].intermediate); attach(&layers[i].output)
        }
        attach(&head.pooler); attach(&head.classifier)
    }

    /// Restores each Linear's (step, input threshold, output threshold), `states` in
    /// `linearQuantizers` order, and sets each Embedding quantizer's step to theirs: a
    /// training forward passes every layer once, so all steps agree.
    public func restoreQuantizers(_ states: [(Int, Float, Float)]) {
        precondition(states.count == linearQuantizers.count, "\(states.count) states for \(linearQuantizers.count) Linears")
        for (q, s) in zip(linearQuantizers, states) { q.restore(step: s.0, inputThreshold: s.1, outputThreshold: s.2) }
        if let step = states.first?.0 { for e in embeddingQuantizers { e.restore(step: step) } }
    }

    /// The quantizer of a Linear by module path.
    public func linearQuantizer(_ name: String) -> LinearQuantizer? { linearQuantizers.first { $0.name == name } }
}
