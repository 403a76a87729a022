import CKernels

/// GELU, exact erf form as BERT: y = x Phi(x). n elements.
public func geluForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count n: Int) {
    Parallel.forEachChunk(n, minChunk: 8192) { r in
        q8_gelu_forward(out + r.lowerBound, input + r.lowerBound, r.count)
    }
}

/// dInput = dOut * gelu'(input) (written).
public func geluBackward(dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, count n: Int) {
    Parallel.forEachChunk(n, minChunk: 8192) { r in
        q8_gelu_backward(dInput + r.lowerBound, dOut + r.lowerBound, input + r.lowerBound, r.count)
    }
}
