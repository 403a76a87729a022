import ModelFormat
import Tensor

/// BERT's embeddings: x0 = dropout(LN(word[ids] + position[t] + tokenType[types])), [N, C].
struct Embeddings {
    let word, position, tokenType: UnsafeMutablePointer<Float>
    let dWord, dPosition, dTokenType: UnsafeMutablePointer<Float>
    let norm: LayerNorm
    let dim: Int, dropout: Float
    /// Q8BERT quantizers of the three tables (word, position, token type), when enabled.
    var wordQuantizer, positionQuantizer, tokenTypeQuantizer: EmbeddingQuantizer?
    let vocabSize: Int, positions: Int, tokenTypes: Int, padTokenId: Int32

    init(config c: BertConfig, params: FloatBuffer, grads: FloatBuffer, layout: ParameterLayout) {
        func view(_ name: String) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
            let e = layout.require("bert.embeddings." + name)
            return (params.pointer + e.offset, grads.pointer + e.offset)
        }
        (word, dWord) = view("word_embeddings.weight")
        (position, dPosition) = view("position_embeddings.weight")
        (tokenType, dTokenType) = view("token_type_embeddings.weight")
        norm = LayerNorm("bert.embeddings.LayerNorm", params: params, grads: grads, layout: layout,
                         eps: c.layerNormEps)
        dim = c.hiddenSize; dropout = c.hiddenDropoutProb
        vocabSize = c.vocabSize; positions = c.maxPositionEmbeddings; tokenTypes = c.typeVocabSize
        padTokenId = Int32(c.padTokenId)
    }

    /// A lookup from `table` [rows, dim], fake-quantized with threshold max|table| once the
    /// quantizer's start step is reached (the straight-through gradient is the plain one's).
    /// A training lookup advances the quantizer's step, as nlp-architect's `_step`.
    func lookup(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, table: UnsafePointer<Float>,
                tableRows: Int, rows: Int, accumulate: Bool, quantizer: EmbeddingQuantizer?, training: Bool) {
        guard let q = quantizer, q.quantizes else {
            embeddingForward(out: out, ids: ids, table: table, rows: rows, dim: dim, accumulate: accumulate)
            return
        }
        defer { if training { q.step += 1 } }
        guard q.quantizes(training: training) else {
            q.weightThreshold = 0
            embeddingForward(out: out, ids: ids, table: table, rows: rows, dim: dim, accumulate: accumulate)
            return
        }
        q.weightThreshold = maxAbs(table, count: tableRows * dim)
        embeddingForwardQuantized(out: out, ids: ids, table: table, rows: rows, dim: dim, accumulate: accumulate,
                                  scale: quantizationScale(threshold: q.weightThreshold, maxQ: q.settings.maxQ),
                                  maxQ: q.settings.maxQ)
    }

    /// Output into ws.embOut; ids, types and positions already copied into ws.
    func forward(ws: Activations, batch B: Int, seqLen T: Int, exampleIndices: [Int], mode: ForwardMode) {
        let N = B * T
        lookup(ws.embSum.pointer, ids: ws.inputIds.pointer, table: word, tableRows: vocabSize, rows: N,
               accumulate: false, quantizer: wordQuantizer, training: mode.training)
        lookup(ws.embSum.pointer, ids: ws.positionIds.pointer, table: position, tableRows: positions, rows: N,
               accumulate: true, quantizer: positionQuantizer, training: mode.training)
        lookup(ws.embSum.pointer, ids: ws.tokenTypeIds.pointer, table: tokenType, tableRows: tokenTypes, rows: N,
               accumulate: true, quantizer: tokenTypeQuantizer, training: mode.training)
        norm.forward(ws.embOut.pointer, mean: ws.embMean.pointer, rstd: ws.embRstd.pointer, ws.embSum.pointer, rows: N)
        dropoutRows(ws.embOut.pointer, mask: ws.embMask.pointer, rows: N, cols: dim, T: T,
                    probability: mode.training ? dropout : 0, site: DropoutSite.embeddings,
                    exampleIndices: exampleIndices, mode: mode)
    }

    /// dOut [N, C] is the gradient of x0 (it is overwritten: used as scratch).
    func backward(dOut: UnsafeMutablePointer<Float>, ws: Activations, batch B: Int, seqLen T: Int, mode: ForwardMode,
                  progress: (() -> Void)? = nil) {
        let N = B * T
        let p = mode.training ? dropout : 0
        if p > 0 { dropoutBackward(dInput: dOut, dOut: dOut, mask: ws.embMask.pointer, probability: p, count: N * dim) }
        let dSum = ws.g1.pointer
        norm.backward(dInput: dSum, dOut: dOut, input: ws.embSum.pointer, mean: ws.embMean.pointer,
                      rstd: ws.embRstd.pointer, rows: N, scratch: ws.normScratch, groups: ws.groups)
        progress?()
        embeddingBackward(dTable: dWord, dOut: dSum, ids: ws.inputIds.pointer, rows: N, dim: dim, skipping: padTokenId,
                          tableRows: vocabSize, groups: ws.groups)
        embeddingBackward(dTable: dPosition, dOut: dSum, ids: ws.positionIds.pointer, rows: N, dim: dim,
                          tableRows: positions, groups: ws.groups)
        embeddingBackward(dTable: dTokenType, dOut: dSum, ids: ws.tokenTypeIds.pointer, rows: N, dim: dim,
                          tableRows: tokenTypes, groups: ws.groups)
    }
}
