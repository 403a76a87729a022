import CKernels
import Foundation
import Tensor

/// One encoder layer of the runtime (post-LayerNorm BERT).
struct EncoderBlock {
    /// query, key, value: one fused unit with three parts, or three units.
    let qkv: [LinearUnit]
    let attentionOutput: LinearUnit, intermediate: LinearUnit, output: LinearUnit
    let attentionNorm: Norm, outputNorm: Norm
    let heads: Int

    var isRowLocal: Bool { (qkv + [attentionOutput, intermediate, output]).allSatisfy(\.isRowLocal) }

    /// Rows `rows` of query, key and value from ws.x into ws.qkv (row-local blocks only).
    func projectRows(_ ws: Workspace, rows: Range<Int>) {
        let C = attentionNorm.dim
        for (j, unit) in qkv.enumerated() {
            unit.forwardRows(ws.x, rows: rows, output: ws.qkv + (qkv.count == 1 ? 0 : j * C), ldy: 3 * C, residual: nil)
        }
    }

    /// Attention over every example and head: ws.qkv -> ws.context.
    func attend(_ ws: Workspace, batch B: Int, seqLen T: Int) {
        let C = attentionNorm.dim
        attentionInference(context: ws.context, q: ws.qkv, k: ws.qkv + C, v: ws.qkv + 2 * C, inputStride: 3 * C,
                           keyMask: ws.keyMask, shape: AttentionShape(batch: B, seqLen: T, heads: heads, headDim: C / heads))
    }

    /// Attention of example b alone, every head on the calling thread: ws.qkv -> ws.context.
    func attend(_ ws: Workspace, example b: Int, seqLen T: Int) {
        let C = attentionNorm.dim
        attentionInferenceHeads(context: ws.context, q: ws.qkv, k: ws.qkv + C, v: ws.qkv + 2 * C, inputStride: 3 * C,
                                keyMask: ws.keyMask, shape: AttentionShape(batch: b + 1, seqLen: T, heads: heads, headDim: C / heads),
                                example: b)
    }

    /// Rows `rows` of the rest of the layer: ws.context and ws.x ->
    /// ws.x. The same operations, in the same order per row, as `forward`.
    func finishRows(_ ws: Workspace, rows r: Range<Int>) {
        let C = attentionNorm.dim, I = intermediate.totalOut, lo = r.lowerBound
        attentionOutput.forwardRows(ws.context, rows: r, output: ws.tmp, ldy: C, residual: ws.x)
        attentionNorm.forward(ws.h1 + lo * C, ws.tmp + lo * C, rows: r.count, mean: ws.mean + lo, rstd: ws.rstd + lo)
        intermediate.forwardRows(ws.h1, rows: r, output: ws.inter, ldy: I, residual: nil)
        q8_gelu_forward(ws.inter + lo * I, ws.inter + lo * I, r.count * I)
        output.forwardRows(ws.inter, rows: r, output: ws.tmp, ldy: C, residual: ws.h1)
        outputNorm.forward(ws.x + lo * C, ws.tmp + lo * C, rows: r.count, mean: ws.mean + lo, rstd: ws.rstd + lo)
    }

    /// ws.x [N, C] -> ws.x, one parallel loop per operation (any unit).
    func forward(_ ws: Workspace, batch B: Int, seqLen T: Int) {
        let N = B * T, C = attentionNorm.dim, I = intermediate.totalOut
        let x = ws.x, tmp = ws.tmp, h1 = ws.h1, inter = ws.inter, mean = ws.mean, rstd = ws.rstd
        // q, k, v side by side in ws.qkv [N, 3C]: one fused unit, or three units into their columns.
        if qkv.count == 1 {
            qkv[0].forward(x, rows: N, output: ws.qkv, ldy: 3 * C, residual: nil, scratch: ws.linear, epilogue: nil)
        } else {
            for (j, unit) in qkv.enumerated() {
                unit.forward(x, rows: N, output: ws.qkv + j * C, ldy: 3 * C, residual: nil, scratch: ws.linear, epilogue: nil)
            }
        }
        attend(ws, batch: B, seqLen: T)
        // h1 = LN1(Wo context + bo + x)
        let ln1 = attentionNorm, ln2 = outputNorm
        attentionOutput.forward(ws.context, rows: N, output: tmp, ldy: C, residual: x, scratch: ws.linear) { r in
            let o = r.lowerBound * C
            ln1.forward(h1 + o, tmp + o, rows: r.count, mean: mean + r.lowerBound, rstd: rstd + r.lowerBound)
        }
        // inter = gelu(W1 h1 + b1)
        intermediate.forward(h1, rows: N, output: inter, ldy: I, residual: nil, scratch: ws.linear) { r in
            let o = r.lowerBound * I
            q8_gelu_forward(inter + o, inter + o, r.count * I)
        }
        // x = LN2(W2 inter + b2 + h1)
        output.forward(inter, rows: N, output: tmp, ldy: C, residual: h1, scratch: ws.linear) { r in
            let o = r.lowerBound * C
            ln2.forward(x + o, tmp + o, rows: r.count, mean: mean + r.lowerBound, rstd: rstd + r.lowerBound)
        }
    }
}
