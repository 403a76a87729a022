import Tensor

/// Global L2 norm of a flat gradient buffer, and clipping to `maxNorm`
/// (torch.nn.utils.clip_grad_norm_: scale by maxNorm / (norm + 1e-6) when that is below 1).
public enum GradientClipping {
    /// The L2 norm over `count` floats (in double, then rounded).
    public static func norm(_ g: UnsafePointer<Float>, count: Int) -> Float {
        let chunk = 1 << 16
        let pieces = (count + chunk - 1) / chunk
        var partial = [Double](repeating: 0, count: pieces)
        partial.withUnsafeMutableBufferPointer { partial in
            Parallel.forEachChunk(pieces) { range in
                for i in range {
                    partial[i] = sumOfSquares(g + i * chunk, count: min(chunk, count - i * chunk))
                }
            }
        }
        return Float(partial.reduce(0, +).squareRoot())
    }

    /// Clips in place; returns the norm before clipping.
    @discardableResult
    public static func clip(_ g: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float) -> Float {
        let n = norm(g, count: count)
        clip(g, count: count, maxNorm: maxNorm, norm: n)
        return n
    }

    /// Clips in place, given the norm `norm(g, count:)` already measured.
    public static func clip(_ g: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float, norm n: Float) {
        let coef = maxNorm / (n + 1e-6)
        if coef < 1 { scale(g, by: coef, count: count) }
    }
}
