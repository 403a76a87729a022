import Tensor

/// A Linear layer's view into the flat parameter and gradient buffers.
/// weight [outF, inF], bias [outF]; y [rows, outF] = x [rows, inF] W^T + b.
struct Linear {
    let weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    let dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>
    let inFeatures: Int, outFeatures: Int

    init(_ prefix: String, params: FloatBuffer, grads: FloatBuffer, layout: ParameterLayout) {
        let w = layout.require(prefix + ".weight"), b = layout.require(prefix + ".bias")
        weight = params.pointer + w.offset; bias = params.pointer + b.offset
        dWeight = grads.pointer + w.offset; dBias = grads.pointer + b.offset
        outFeatures = w.shape[0]; inFeatures = w.shape[1]
    }

    func forward(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int) {
        linearForward(out: out, input: input, weight: weight, bias: bias, rows: rows,
                      inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// dInput written (or added when `accumulate`); weight and bias gradients added.
    func backward(dInput: UnsafeMutablePointer<Float>?, accumulate: Bool = false,
                  dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int) {
        linearBackward(dInput: dInput, accumulateInput: accumulate, dWeight: dWeight, dBias: dBias,
                       dOut: dOut, input: input, weight: weight, rows: rows,
                       inFeatures: inFeatures, outFeatures: outFeatures)
    }
}

/// A LayerNorm's view: weight and bias [dim].
struct LayerNorm {
    let weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
    let dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>
    let dim: Int, eps: Float

    init(_ prefix: String, params: FloatBuffer, grads: FloatBuffer, layout: ParameterLayout, eps: Float) {
        let w = layout.require(prefix + ".weight"), b = layout.require(prefix + ".bias")
        weight = params.pointer + w.offset; bias = params.pointer + b.offset
        dWeight = grads.pointer + w.offset; dBias = grads.pointer + b.offset
        dim = w.shape[0]; self.eps = eps
    }

    /// out [rows, dim]; saves mean, rstd [rows].
    func forward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                 rstd: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int) {
        layerNormForward(out: out, mean: mean, rstd: rstd, input: input, weight: weight, bias: bias,
                         rows: rows, dim: dim, eps: eps)
    }

    func backward(dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                  input: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                  rows: Int, scratch: FloatBuffer) {
        layerNormBackward(dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
                          weight: weight, mean: mean, rstd: rstd, rows: rows, dim: dim, scratch: scratch)
    }
}
