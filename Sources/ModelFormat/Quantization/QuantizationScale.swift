/// The scale rule of symmetric linear quantization, shared by training (fake quantization),
/// the int8 export and the runtime: q = clamp(round_half_even(x S), -M, M) with
/// M = 2^(bits-1) - 1 and S = M / threshold.

/// Scale S = M / threshold of symmetric linear quantization; 0 for a zero threshold, which
/// the kernels treat as "quantize everything to 0" (no infinite scale, no NaN).
@inline(__always)
public func quantizationScale(threshold: Float, maxQ: Float) -> Float {
    threshold > 0 && threshold.isFinite ? maxQ / threshold : 0
}

/// M = 2^(bits-1) - 1: the largest quantized magnitude (127 for 8 bits; -128 is never used).
@inline(__always)
public func maxQuantized(bits: Int) -> Float { Float((1 << (bits - 1)) - 1) }
