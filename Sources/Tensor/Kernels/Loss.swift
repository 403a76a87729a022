import Foundation

/// Losses over a batch, averaged over the batch as PyTorch's default reduction.

/// Cross-entropy of logits [B, L] against labels [B]; writes dLogits [B, L] (the gradient
/// of the mean loss) and returns the mean loss.
public func crossEntropyForwardBackward(dLogits: UnsafeMutablePointer<Float>,
                                        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                        batch: Int, classes: Int) -> Float {
    var total = 0.0
    for b in 0..<batch {
        let row = logits + b * classes, d = dLogits + b * classes
        var mx = -Float.infinity
        for j in 0..<classes { mx = max(mx, row[j]) }
        var sum = 0.0
        for j in 0..<classes { sum += Double(expf(row[j] - mx)) }
        let logZ = Double(mx) + log(sum)
        let y = Int(labels[b])
        precondition(y >= 0 && y < classes, "crossEntropy: label \(y) outside 0..<\(classes)")
        total += logZ - Double(row[y])
        for j in 0..<classes {
            let p = Float(exp(Double(row[j]) - logZ))
            d[j] = (p - (j == y ? 1 : 0)) / Float(batch)
        }
    }
    return Float(total / Double(batch))
}

/// Mean squared error of predictions [B] against targets [B]; writes dPred and returns the loss.
public func mseForwardBackward(dPred: UnsafeMutablePointer<Float>, pred: UnsafePointer<Float>,
                               targets: UnsafePointer<Float>, batch: Int) -> Float {
    var total = 0.0
    for b in 0..<batch {
        let diff = pred[b] - targets[b]
        total += Double(diff) * Double(diff)
        dPred[b] = 2 * diff / Float(batch)
    }
    return Float(total / Double(batch))
}
