import ModelFormat
import Foundation
import Tensor

/// The buffers of one forward, for up to `tokens` rows and `batch` examples.
final class Workspace {
    let tokens: Int, batch: Int
    /// qkv [N, 3C]: query, key and value side by side.
    let sum, x, qkv, context, tmp, h1, inter, mean, rstd, keyMask: UnsafeMutablePointer<Float>
    let cls, pooledPre, pooled, logits: UnsafeMutablePointer<Float>
    let linear: LinearScratch
    private var floats: [UnsafeMutablePointer<Float>] = []

    init(config c: BertConfig, numLabels: Int, tokens N: Int, batch B: Int, maxOut: Int) {
        tokens = N; batch = B
        let C = c.hiddenSize, I = c.intermediateSize
        var all = [UnsafeMutablePointer<Float>]()
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            all.append(p)
            return p
        }
        sum = make(N * C); x = make(N * C); qkv = make(N * 3 * C)
        context = make(N * C); tmp = make(N * C); h1 = make(N * C); inter = make(N * I)
        mean = make(N); rstd = make(N); keyMask = make(N)
        cls = make(B * C); pooledPre = make(B * C); pooled = make(B * C); logits = make(B * numLabels)
        let factor = make(maxOut), fp32 = make(N * C)  // fp32: a strided FP32 query, key or value
        floats = all
        let bias = UnsafeMutablePointer<Int32>.allocate(capacity: maxOut)
        bias.initialize(repeating: 0, count: maxOut)
        linear = LinearScratch(factor: factor, bias: bias, fp32: fp32)
    }

    deinit {
        for p in floats { p.deallocate() }
        linear.bias.deallocate()
    }
}
