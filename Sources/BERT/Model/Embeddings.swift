import Tensor

/// BERT's embeddings: x0 = dropout(LN(word[ids] + position[t] + tokenType[types])), [N, C].
struct Embeddings {
    let word, position, tokenType: UnsafeMutablePointer<Float>
    let dWord, dPosition, dTokenType: UnsafeMutablePointer<Float>
    let norm: LayerNorm
    let dim: Int, dropout: Float

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
    }

    /// Output into ws.embOut; ids, types and positions already copied into ws.
    func forward(ws: Activations, batch B: Int, seqLen T: Int, exampleIndices: [Int], mode: ForwardMode) {
        let N = B * T
        embeddingForward(out: ws.embSum.pointer, ids: ws.inputIds.pointer, table: word, rows: N, dim: dim, accumulate: false)
        embeddingForward(out: ws.embSum.pointer, ids: ws.positionIds.pointer, table: position, rows: N, dim: dim, accumulate: true)
        embeddingForward(out: ws.embSum.pointer, ids: ws.tokenTypeIds.pointer, table: tokenType, rows: N, dim: dim, accumulate: true)
        norm.forward(ws.embOut.pointer, mean: ws.embMean.pointer, rstd: ws.embRstd.pointer, ws.embSum.pointer, rows: N)
        dropoutRows(ws.embOut.pointer, mask: ws.embMask.pointer, rows: N, cols: dim, T: T,
                    probability: mode.training ? dropout : 0, site: DropoutSite.embeddings,
                    exampleIndices: exampleIndices, mode: mode)
    }

    /// dOut [N, C] is the gradient of x0 (it is overwritten: used as scratch).
    func backward(dOut: UnsafeMutablePointer<Float>, ws: Activations, batch B: Int, seqLen T: Int, mode: ForwardMode) {
        let N = B * T
        let p = mode.training ? dropout : 0
        if p > 0 { dropoutBackward(dInput: dOut, dOut: dOut, mask: ws.embMask.pointer, probability: p, count: N * dim) }
        let dSum = ws.g1.pointer
        norm.backward(dInput: dSum, dOut: dOut, input: ws.embSum.pointer, mean: ws.embMean.pointer,
                      rstd: ws.embRstd.pointer, rows: N, scratch: ws.normScratch)
        embeddingBackward(dTable: dWord, dOut: dSum, ids: ws.inputIds.pointer, rows: N, dim: dim)
        embeddingBackward(dTable: dPosition, dOut: dSum, ids: ws.positionIds.pointer, rows: N, dim: dim)
        embeddingBackward(dTable: dTokenType, dOut: dSum, ids: ws.tokenTypeIds.pointer, rows: N, dim: dim)
    }
}
