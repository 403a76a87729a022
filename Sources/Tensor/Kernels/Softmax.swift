import CKernels

/// Row softmax with a key mask: probs[r, j] over the columns with keyMask[j] != 0 (others 0).
/// scores/probs [rows, cols]; keyMask [cols] or nil.
public func softmaxForward(probs: UnsafeMutablePointer<Float>, scores: UnsafePointer<Float>,
                           keyMask: UnsafePointer<Float>?, rows: Int, cols: Int) {
    q8_softmax_masked_forward(probs, scores, keyMask, rows, cols)
}

/// dScores = probs * (dProbs - rowsum(dProbs * probs)) (written).
public func softmaxBackward(dScores: UnsafeMutablePointer<Float>, dProbs: UnsafePointer<Float>,
                            probs: UnsafePointer<Float>, rows: Int, cols: Int) {
    q8_softmax_backward(dScores, dProbs, probs, rows, cols)
}
