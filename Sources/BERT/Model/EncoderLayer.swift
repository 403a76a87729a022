import ModelFormat
import Tensor

/// One BERT encoder layer (post-LayerNorm, as the original BERT):
///   a = LN1(x + dropout(Wo attention(Wq x, Wk x, Wv x)))
///   y = LN2(a + dropout(W2 gelu(W1 a)))
/// x, y [N, C] with N = B T.
struct EncoderLayer {
    let index: Int
    var query, key, value, attentionOutput, intermediate, output: Linear
    let attentionNorm, outputNorm: LayerNorm
    let heads: Int
    let hiddenDropout: Float, attentionDropout: Float

    init(index: Int, config c: BertConfig, params: FloatBuffer, grads: FloatBuffer, layout: ParameterLayout) {
        self.index = index
        let p = "bert.encoder.layer.\(index)."
        query = Linear(p + "attention.self.query", params: params, grads: grads, layout: layout)
        key = Linear(p + "attention.self.key", params: params, grads: grads, layout: layout)
        value = Linear(p + "attention.self.value", params: params, grads: grads, layout: layout)
        attentionOutput = Linear(p + "attention.output.dense", params: params, grads: grads, layout: layout)
        intermediate = Linear(p + "intermediate.dense", params: params, grads: grads, layout: layout)
        output = Linear(p + "output.dense", params: params, grads: grads, layout: layout)
        attentionNorm = LayerNorm(p + "attention.output.LayerNorm", params: params, grads: grads,
                                  layout: layout, eps: c.layerNormEps)
        outputNorm = LayerNorm(p + "output.LayerNorm", params: params, grads: grads, layout: layout,
                               eps: c.layerNormEps)
        heads = c.numAttentionHeads
        hiddenDropout = c.hiddenDropoutProb; attentionDropout = c.attentionProbsDropoutProb
    }

    /// Forward from x [N, C] into `a.out`, saving what backward needs in `a`.
    func forward(_ x: UnsafePointer<Float>, _ a: Activations.Layer, ws: Activations,
                 batch B: Int, seqLen T: Int, exampleIndices: [Int], mode: ForwardMode) {
        let N = B * T, C = query.outFeatures, I = intermediate.outFeatures
        let shape = AttentionShape(batch: B, seqLen: T, heads: heads, headDim: C / heads)
        // Evaluation computes the token rows only, so no result depends on the padding length.
        let packed = !mode.training && ws.activeRows.total == N
        let active = packed ? ws.activeRows : nil
        query.forward(a.q.pointer, x, rows: N, training: mode.training, groups: ws.groups, active: active)
        key.forward(a.k.pointer, x, rows: N, training: mode.training, sharing: query.quantizer, groups: ws.groups,
                    active: active)
        value.forward(a.v.pointer, x, rows: N, training: mode.training, sharing: query.quantizer, groups: ws.groups,
                      active: active)
        let pAttn = mode.training ? attentionDropout : 0, pHidden = mode.training ? hiddenDropout : 0
        let site = DropoutSite.attentionProbs(layer: index)
        attentionForward(context: a.context.pointer, probs: a.probs.pointer, dropped: a.dropped.pointer,
                         mask: a.probsMask.pointer, q: a.q.pointer, k: a.k.pointer, v: a.v.pointer,
                         keyMask: ws.keyMask.pointer, shape: shape, dropout: pAttn, realQueriesOnly: packed) { b, h, t in
            DropoutSite.rowKey(mode, site: site, example: exampleIndices[b], position: h * T + t)
        }
        // attnResidual = dropout(Wo context + bo) + x
        attentionOutput.forward(a.attnResidual.pointer, a.context.pointer, rows: N, training: mode.training, groups: ws.groups,
                                active: active)
        dropoutRows(a.attnResidual.pointer, mask: a.attnMask.pointer, rows: N, cols: C, T: T,
                    probability: pHidden, site: DropoutSite.attentionOutput(layer: index), exampleIndices: exampleIndices, mode: mode)
        add(out: a.attnResidual.pointer, a.attnResidual.pointer, x, count: N * C)
        attentionNorm.forward(a.ln1Out.pointer, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer,
                              a.attnResidual.pointer, rows: N)
        // ffnResidual = dropout(W2 gelu(W1 ln1Out)) + ln1Out
        intermediate.forward(a.interPre.pointer, a.ln1Out.pointer, rows: N, training: mode.training, groups: ws.groups,
                             active: active)
        geluForward(out: a.interAct.pointer, input: a.interPre.pointer, count: N * I)
        output.forward(a.ffnResidual.pointer, a.interAct.pointer, rows: N, training: mode.training, groups: ws.groups,
                       active: active)
        dropoutRows(a.ffnResidual.pointer, mask: a.ffnMask.pointer, rows: N, cols: C, T: T,
                    probability: pHidden, site: DropoutSite.ffnOutput(layer: index), exampleIndices: exampleIndices, mode: mode)
        add(out: a.ffnResidual.pointer, a.ffnResidual.pointer, a.ln1Out.pointer, count: N * C)
        outputNorm.forward(a.out.pointer, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer,
                           a.ffnResidual.pointer, rows: N)
    }

    /// Backward: dOut [N, C] is the gradient of this layer's output; writes the gradient of
    /// its input x into dX [N, C] and adds into the parameter gradients. dOut and dX must differ.
    func backward(dX: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
                  _ a: Activations.Layer, ws: Activations, batch B: Int, seqLen T: Int, mode: ForwardMode,
                  progress: (() -> Void)? = nil) {
        let N = B * T, C = query.outFeatures, I = intermediate.outFeatures
        let shape = AttentionShape(batch: B, seqLen: T, heads: heads, headDim: C / heads)
        let gA = ws.g1.pointer, gB = ws.g2.pointer
        let pHidden = mode.training ? hiddenDropout : 0
        // LN2: gA = d ffnResidual (also the gradient reaching ln1Out through the residual).
        outputNorm.backward(dInput: gA, dOut: dOut, input: a.ffnResidual.pointer, mean: a.ln2Mean.pointer,
                            rstd: a.ln2Rstd.pointer, rows: N, scratch: ws.normScratch, groups: ws.groups)
        // dropout, W2: gB = d dense-out; gInter = d interAct.
        if pHidden > 0 { dropoutBackward(dInput: gB, dOut: gA, mask: a.ffnMask.pointer, probability: pHidden, count: N * C) }
        output.backward(dInput: ws.gInter.pointer, dOut: pHidden > 0 ? gB : gA, input: a.interAct.pointer, rows: N, groups: ws.groups)
        progress?()
        geluBackward(dInput: ws.gInter.pointer, dOut: ws.gInter.pointer, input: a.interPre.pointer, count: N * I)
        // W1: d ln1Out = gA (residual) + W1^T-path.
        intermediate.backward(dInput: gA, accumulate: true, dOut: ws.gInter.pointer, input: a.ln1Out.pointer, rows: N, groups: ws.groups)
        progress?()
        // LN1: dX starts as d attnResidual (the residual path to x).
        attentionNorm.backward(dInput: dX, dOut: gA, input: a.attnResidual.pointer, mean: a.ln1Mean.pointer,
                               rstd: a.ln1Rstd.pointer, rows: N, scratch: ws.normScratch, groups: ws.groups)
        // dropout, Wo: gA = d context.
        if pHidden > 0 { dropoutBackward(dInput: gB, dOut: dX, mask: a.attnMask.pointer, probability: pHidden, count: N * C) }
        attentionOutput.backward(dInput: gA, dOut: pHidden > 0 ? gB : dX, input: a.context.pointer, rows: N, groups: ws.groups)
        progress?()
        attentionBackward(dQ: ws.dQ.pointer, dK: ws.dK.pointer, dV: ws.dV.pointer, dContext: gA,
                          q: a.q.pointer, k: a.k.pointer, v: a.v.pointer, probs: a.probs.pointer,
                          dropped: a.dropped.pointer, mask: a.probsMask.pointer, keyMask: ws.keyMask.pointer, shape: shape,
                          dropout: mode.training ? attentionDropout : 0, scratch: ws.attentionScratch)
        progress?()
        query.backward(dInput: dX, accumulate: true, dOut: ws.dQ.pointer, input: x, rows: N, groups: ws.groups)
        progress?()
        key.backward(dInput: dX, accumulate: true, dOut: ws.dK.pointer, input: x, rows: N, groups: ws.groups)
        progress?()
        value.backward(dInput: dX, accumulate: true, dOut: ws.dV.pointer, input: x, rows: N, groups: ws.groups)
    }
}

/// Dropout in place over the rows of one [N, C] activation; row n = b T + t is keyed by
/// (example b's dataset index, position t). Does nothing when p == 0.
func dropoutRows(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>, rows: Int,
                 cols: Int, T: Int, probability p: Float, site: UInt64, exampleIndices: [Int],
                 mode: ForwardMode) {
    guard p > 0 else { return }
    dropoutForward(out: x, mask: mask, input: x, rows: rows, cols: cols, probability: p) { n in
        DropoutSite.rowKey(mode, site: site, example: exampleIndices[n / T], position: n % T)
    }
}
