import ModelFormat
import Tensor

/// BertPooler and the sequence-classification head, as Hugging Face:
///   pooled = tanh(Wp h[CLS] + bp);  logits = Wc dropout(pooled) + bc
/// h [N, C] (the encoder output), pooled [B, C], logits [B, L].
struct ClassifierHead {
    var pooler, classifier: Linear
    let dropout: Float

    init(config c: BertConfig, params: FloatBuffer, grads: FloatBuffer, layout: ParameterLayout) {
        pooler = Linear("bert.pooler.dense", params: params, grads: grads, layout: layout)
        classifier = Linear("classifier", params: params, grads: grads, layout: layout)
        dropout = c.hiddenDropoutProb
    }

    func forward(_ h: UnsafePointer<Float>, ws: Activations, batch B: Int, seqLen T: Int,
                 exampleIndices: [Int], mode: ForwardMode) {
        let C = pooler.inFeatures
        for b in 0..<B { (ws.cls.pointer + b * C).update(from: h + b * T * C, count: C) }
        pooler.forward(ws.pooledPre.pointer, ws.cls.pointer, rows: B, training: mode.training, groups: ws.groups)
        tanhForward(out: ws.pooled.pointer, input: ws.pooledPre.pointer, count: B * C)
        ws.pooledDropped.pointer.update(from: ws.pooled.pointer, count: B * C)
        let p = mode.training ? dropout : 0
        if p > 0 {
            dropoutForward(out: ws.pooledDropped.pointer, mask: ws.pooledMask.pointer,
                           input: ws.pooledDropped.pointer, rows: B, cols: C, probability: p) { b in
                DropoutSite.rowKey(mode, site: DropoutSite.classifier, example: exampleIndices[b], position: 0)
            }
        }
        classifier.forward(ws.logits.pointer, ws.pooledDropped.pointer, rows: B, training: mode.training, groups: ws.groups)
    }

    /// From ws.dLogits, writes the gradient of h into dH [N, C] (zero except [CLS] rows).
    func backward(dH: UnsafeMutablePointer<Float>, ws: Activations, batch B: Int, seqLen T: Int, mode: ForwardMode) {
        let C = pooler.inFeatures
        let gA = ws.gHeadA.pointer, gB = ws.gHeadB.pointer
        classifier.backward(dInput: gA, dOut: ws.dLogits.pointer, input: ws.pooledDropped.pointer, rows: B, groups: ws.groups)
        let p = mode.training ? dropout : 0
        if p > 0 { dropoutBackward(dInput: gA, dOut: gA, mask: ws.pooledMask.pointer, probability: p, count: B * C) }
        tanhBackward(dInput: gA, dOut: gA, output: ws.pooled.pointer, count: B * C)
        pooler.backward(dInput: gB, dOut: gA, input: ws.cls.pointer, rows: B, groups: ws.groups)
        dH.update(repeating: 0, count: B * T * C)
        for b in 0..<B { (dH + b * T * C).update(from: gB + b * C, count: C) }
    }
}
