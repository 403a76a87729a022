import Foundation
import Tensor

/// An embedding table: int8 with its scale, or FP32.
final class EmbeddingTable {
    let rows: Int, dim: Int
    let int8: UnsafeMutablePointer<Int8>?
    let scale: Float
    let fp32: FloatBuffer?

    init(rows: Int, dim: Int, int8 values: [Int8], scale: Float) {
        self.rows = rows; self.dim = dim; self.scale = scale
        let p = UnsafeMutablePointer<Int8>.allocate(capacity: max(values.count, 1))
        p.initialize(from: values, count: values.count)
        int8 = p
        fp32 = nil
    }

    init(rows: Int, dim: Int, fp32 values: [Float]) {
        self.rows = rows; self.dim = dim; scale = 0
        int8 = nil
        fp32 = FloatBuffer(values)
    }

    deinit { int8?.deallocate() }

    /// dst[:] (+)= row `row`, dequantized as Float(q) / S (exactly training's fake-quantized
    /// value round(w S) / S; all zeros for S = 0, as the kernel there).
    @inline(__always)
    func gather(_ dst: UnsafeMutablePointer<Float>, row: Int, accumulate: Bool) {
        if let fp32 {
            let src = fp32.pointer + row * dim
            if accumulate { for i in 0..<dim { dst[i] += src[i] } } else { dst.update(from: src, count: dim) }
            return
        }
        let q = int8! + row * dim, s = scale
        if s == 0 {
            if !accumulate { dst.update(repeating: 0, count: dim) }
            else { for i in 0..<dim { dst[i] += 0 } }
            return
        }
        if accumulate { for i in 0..<dim { dst[i] += Float(q[i]) / s } }
        else { for i in 0..<dim { dst[i] = Float(q[i]) / s } }
    }
}
