import CKernels

/// y = tanh(x), n elements.
public func tanhForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count n: Int) {
    q8_tanh_forward(out, input, n)
}

/// dInput = dOut (1 - y^2), from the saved output y (written).
public func tanhBackward(dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, count n: Int) {
    q8_tanh_backward(dInput, dOut, output, n)
}
