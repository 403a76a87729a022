import CKernels

/// Q8BERT's symmetric linear quantization over n elements, parallel. scale = M / threshold
/// (0 quantizes everything to 0); maxQ = M.

/// out = clamp(round_half_even(x S), -M, M) / S (out may be input).
public func fakeQuantize(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count n: Int,
                         scale: Float, maxQ: Float) {
    Parallel.forEachChunk(n, minChunk: 32768) { r in
        q8_fake_quantize(out + r.lowerBound, input + r.lowerBound, r.count, scale, maxQ)
    }
}

/// out = clamp(round_half_even(x S), -M, M): the integer values, as floats.
public func quantizeValues(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count n: Int,
                           scale: Float, maxQ: Float) {
    Parallel.forEachChunk(n, minChunk: 32768) { r in
        q8_quantize_values(out + r.lowerBound, input + r.lowerBound, r.count, scale, maxQ)
    }
}

/// out[r, c] = (out[r, c] + bias[c]) * factor: the int32 bias added in the accumulator, then
/// the one rescale back to real values.
public func addRowBiasAndRescale(_ out: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>,
                                 rows: Int, cols: Int, factor: Float) {
    Parallel.forEachChunk(rows, minChunk: 32) { r in
        let o = out + r.lowerBound * cols
        q8_add_row_bias(o, bias, r.count, cols)
        q8_rescale(o, r.count * cols, factor)
    }
}
