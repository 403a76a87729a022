import CKernels
import Foundation
import Tensor

/// A LayerNorm's parameters.
struct Norm {
    let weight: FloatBuffer, bias: FloatBuffer
    let dim: Int, eps: Float

    /// out [rows, dim] from input [rows, dim] (the training kernel, row by row).
    @inline(__always)
    func forward(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int,
                 mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        q8_layernorm_forward(out, mean, rstd, input, weight.pointer, bias.pointer, rows, dim, eps)
    }
}
