import CKernels
import Tensor

/// AdamW over a flat parameter buffer (torch.optim.AdamW semantics: decoupled weight decay,
/// bias-corrected moments), with the per-tensor decay rule of the layout: biases and
/// LayerNorm weights are not decayed. Moments m, v share the parameters' layout.
public final class AdamW {
    public var beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
    public var weightDecay: Float
    /// Updates taken so far (the t of the bias corrections).
    public private(set) var step = 0
    public let m: FloatBuffer, v: FloatBuffer
    /// Work items, built once: slices of at most 64K floats of each tensor (so the threads
    /// share the work) and whether the tensor is decayed.
    let slices: [(offset: Int, count: Int, decay: Bool)]

    public init(layout: ParameterLayout, weightDecay: Float = 0.01) {
        self.weightDecay = weightDecay
        m = FloatBuffer(count: layout.count)
        v = FloatBuffer(count: layout.count)
        let slice = 1 << 16
        slices = layout.entries.flatMap { e in
            stride(from: 0, to: e.count, by: slice).map { o in (e.offset + o, min(slice, e.count - o), e.decays) }
        }
    }

    /// One update of `parameters` from `gradients` at learning rate `lr`.
    public func update(parameters: FloatBuffer, gradients: FloatBuffer, lr: Float) {
        step += 1
        let bc1 = 1 - Float(Double(beta1).power(step)), bc2 = 1 - Float(Double(beta2).power(step))
        let p = parameters.pointer, g = gradients.pointer, m = m.pointer, v = v.pointer
        let (b1, b2, eps, wd) = (beta1, beta2, self.eps, weightDecay)
        slices.withUnsafeBufferPointer { items in
            Parallel.forEachChunk(items.count) { range in
                for it in items[range] {
                    q8_adamw_update(p + it.offset, m + it.offset, v + it.offset, g + it.offset, it.count,
                                    lr, b1, b2, eps, it.decay ? wd : 0, bc1, bc2)
                }
            }
        }
    }

    /// Restores the step count (with the moments, for resuming).
    public func restore(step: Int) { self.step = step }
}

extension Double {
    func power(_ n: Int) -> Double { var r = 1.0; for _ in 0..<n { r *= self }; return r }
}
