import CKernels
import ModelFormat
import Tensor

/// A Linear layer's view into the flat parameter and gradient buffers, with its optional
/// Q8BERT quantizer. weight [outF, inF], bias [outF]; y [rows, outF] = x [rows, inF] W^T + b.
struct Linear {
    /// Module path, e.g. "bert.encoder.layer.0.attention.self.query".
    let name: String
    let weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    let dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>
    let inFeatures: Int, outFeatures: Int
    var quantizer: LinearQuantizer?

    init(_ prefix: String, params: FloatBuffer, grads: FloatBuffer, layout: ParameterLayout) {
        name = prefix
        let w = layout.require(prefix + ".weight"), b = layout.require(prefix + ".bias")
        weight = params.pointer + w.offset; bias = params.pointer + b.offset
        dWeight = grads.pointer + w.offset; dBias = grads.pointer + b.offset
        outFeatures = w.shape[0]; inFeatures = w.shape[1]
    }

    /// Forward. With a quantizer (Q8BERT), in training: y = fq(x) fq(W)^T + b, then y = fq(y)
    /// when requantizing outputs; in evaluation, as the integer runtime computes:
    /// y = (q(x) q(W)^T + q32(b)) / (S_x S_w), requantized likewise. The product runs on the int8
    /// kernels (exact int32 sums) or as an FP32 GEMM of the quantized values (`QuantizedGemm`).
    /// `sharing`: a Linear that just quantized the same input (query for key and value): its
    /// batch max is reused, and its quantized input too when the scales agree. `active`: in
    /// evaluation, the rows that hold tokens (the GEMM runs over them only; the padding rows of
    /// `out` get no product).
    func forward(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, training: Bool = false,
                 sharing: LinearQuantizer? = nil, groups: RowGroups = .single, active: ActiveRows? = nil) {
        guard let q = quantizer, q.quantizes(training: training) else {
            linearForward(out: out, input: input, weight: weight, bias: bias, rows: rows,
                          inFeatures: inFeatures, outFeatures: outFeatures, groups: groups, active: active)
            if let q = quantizer {
                if training { q.step += 1 }
                q.lastForwardQuantized = false
                q.lastSource = nil
            }
            return
        }
        let maxQ = q.settings.maxQ, n = rows * inFeatures, w = inFeatures * outFeatures
        q.weightThreshold = maxAbs(weight, count: w)
        let sw = quantizationScale(threshold: q.weightThreshold, maxQ: maxQ)
        // The input: batch max (measured, or the sharing layer's), threshold, scale.
        let shared = sharing.flatMap { $0.lastForwardQuantized && $0.lastSource == input && $0.lastCount == n ? $0 : nil }
        var batchMax: Float = 0
        if q.needsBatchMax(training: training) {
            batchMax = shared.map { $0.needsBatchMax(training: training) ? $0.lastBatchMax : q.batchMax(input, count: n) }
                ?? q.batchMax(input, count: n)
        }
        let sx = quantizationScale(threshold: q.threshold(&q.input, batchMax: batchMax, training: training), maxQ: maxQ)
        let int8 = q.int8Weights(outFeatures: outFeatures, inFeatures: inFeatures)
        // The quantized input as floats: backward's x (training), or the FP32 GEMM's operand.
        var xq: UnsafePointer<Float>?
        if let shared, shared.lastScale.bitPattern == sx.bitPattern, let other = shared.usedInput {
            xq = other
        } else if training || int8 == nil {
            let buffer = q.inputBuffer(count: n).pointer
            if training { fakeQuantize(out: buffer, input: input, count: n, scale: sx, maxQ: maxQ) }
            else { quantizeValues(out: buffer, input: input, count: n, scale: sx, maxQ: maxQ) }
            xq = UnsafePointer(buffer)
        }
        (q.lastSource, q.lastCount, q.lastBatchMax, q.lastScale, q.usedInput) = (input, n, batchMax, sx, xq)
        if let int8 {
            // The int8 kernels quantize x themselves (the same integers as xq's).
            int8.pack(fakeQuantized: q.weightQ.pointer, from: weight, scale: sw, maxQ: maxQ)
            if training {
                quantizedLinearForward(out: out, input: input, rows: rows, weights: int8, inputScale: sx, weightScale: sw,
                                       maxQ: maxQ, floatBias: bias)
            } else {
                let biasScale = sx * sw
                for c in 0..<outFeatures { int8.int32Bias[c] = Int8Format.quantizeBias(bias[c], scale: biasScale) }
                quantizedLinearForward(out: out, input: input, rows: rows, weights: int8, inputScale: sx, weightScale: sw,
                                       maxQ: maxQ, floatBias: nil, int32Bias: int8.int32Bias, active: active)
            }
        } else if training {
            fakeQuantize(out: q.weightQ.pointer, input: weight, count: w, scale: sw, maxQ: maxQ)
            // Bias in FP32 while training, as nlp-architect; int32 in evaluation and the runtime.
            linearForward(out: out, input: xq!, weight: q.weightQ.pointer, bias: bias, rows: rows,
                          inFeatures: inFeatures, outFeatures: outFeatures, groups: groups)
        } else {
            quantizeValues(out: q.weightQ.pointer, input: weight, count: w, scale: sw, maxQ: maxQ)
            linearForward(out: out, input: xq!, weight: q.weightQ.pointer, bias: nil, rows: rows,
                          inFeatures: inFeatures, outFeatures: outFeatures, groups: groups, active: active)
            let biasScale = sx * sw
            let qb = q.quantizedBias(bias, count: outFeatures, scale: biasScale)
            addRowBiasAndRescale(out, qb, rows: rows, cols: outFeatures, factor: biasScale > 0 ? 1 / biasScale : 0)
        }
        if q.settings.requantizeOutput {
            let m = rows * outFeatures
            let yMax = q.needsBatchMax(training: training) ? q.batchMax(out, count: m) : 0
            let sy = quantizationScale(threshold: q.threshold(&q.output, batchMax: yMax, training: training), maxQ: maxQ)
            fakeQuantize(out: out, input: out, count: m, scale: sy, maxQ: maxQ)
        }
        if training { q.step += 1 }
        q.lastForwardQuantized = true
    }

    /// dInput written (or added when `accumulate`); weight and bias gradients added. After a
    /// quantized forward, the quantized weight and input stand in for the FP32 ones
    /// (straight-through estimator).
    func backward(dInput: UnsafeMutablePointer<Float>?, accumulate: Bool = false,
                  dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int, groups: RowGroups) {
        let quantized = quantizer?.lastForwardQuantized == true
        linearBackward(dInput: dInput, accumulateInput: accumulate, dWeight: dWeight, dBias: dBias,
                       dOut: dOut, input: quantized ? quantizer!.usedInput! : input,
                       weight: quantized ? quantizer!.weightQ.pointer : weight, rows: rows,
                       inFeatures: inFeatures, outFeatures: outFeatures, groups: groups)
    }
}
