import Tensor

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
                  rows: Int, scratch: FloatBuffer, groups: RowGroups) {
        layerNormBackward(dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
                          weight: weight, mean: mean, rstd: rstd, rows: rows, dim: dim, scratch: scratch, groups: groups)
    }
}
